"""The follow-up jobs services enqueue, in a real worker: each notice sent once however often its
message is delivered (the same task id twice is what a redelivery looks like)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from followup_seed import appointment, paid_order, practice
from sqlalchemy import func, select
from support import SmtpInbox, start_relay, start_worker, wait_for
from task_checks import body_of, mails_to, runs, send_twice

from vet_core.database import SessionFactory
from vet_core.models import (
    Appointment,
    Conversation,
    ConversationParticipant,
    Message,
    NotificationDelivery,
    Payment,
)
from vet_core.models.enums import (
    AppointmentStatus,
    ConversationType,
    MessageType,
    OutboxStatus,
    ParticipantRole,
    PaymentStatus,
)
from vet_core.models.outbox import OutboxEvent
from vet_services.messaging.conversations import NEW_MESSAGE_TOPIC
from vet_services.outbox import enqueue


async def _deliveries(sessions: SessionFactory, user_id: Any) -> int:
    async with sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(NotificationDelivery)
                .where(NotificationDelivery.user_id == user_id)
            )
            or 0
        )


async def test_payment_and_order_follow_ups_notify_once_per_redelivered_job(
    committed_session_factory: SessionFactory,
    worker_environment: dict[str, str],
    client_app: Any,
    inbox: SmtpInbox,
    tmp_path: Path,
) -> None:
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    async with committed_session_factory() as session, session.begin():
        at = await practice(session)
        order, receipt_payment = await paid_order(session, at)
        visit = await appointment(session, at, starts)
        deposit = Payment(
            user_id=at.owner.id,
            appointment_id=visit.id,
            amount=2_500,
            currency="USD",
            status=PaymentStatus.SUCCEEDED,
        )
        failed = Payment(
            user_id=at.owner.id,
            appointment_id=visit.id,
            amount=2_500,
            currency="USD",
            status=PaymentStatus.FAILED,
            failure_code="card_declined",
            failure_message="Your card was declined.",
        )
        session.add_all([deposit, failed])
    worker = start_worker(worker_environment, tmp_path)
    try:
        send_twice(
            client_app,
            worker,
            "commerce.order_paid",
            "receipt-1",
            order_id=str(order.id),
            payment_id=str(receipt_payment.id),
        )
        send_twice(
            client_app,
            worker,
            "payments.payment_failed",
            "failed-1",
            payment_id=str(failed.id),
            failure_code="card_declined",
        )
        send_twice(
            client_app,
            worker,
            "scheduling.deposit_paid",
            "deposit-1",
            appointment_id=str(visit.id),
            payment_id=str(deposit.id),
        )
    finally:
        worker.stop()

    subjects = sorted(str(m["Subject"]) for m in mails_to(inbox, at.owner.email))
    assert subjects == [
        "Deposit received for Rex's appointment",
        f"Receipt for your order {order.id.hex[-8:].upper()} at Riverside Animal Hospital",
        "Your payment of 25.00 USD did not go through",
    ]
    assert await _deliveries(committed_session_factory, at.owner.id) == 6  # e-mail + in-app
    async with committed_session_factory() as session:
        confirmed = await session.get_one(Appointment, visit.id)
        assert confirmed.status is AppointmentStatus.CONFIRMED
    assert "Total: 54.00 USD" in body_of(
        next(m for m in mails_to(inbox, at.owner.email) if "Receipt" in str(m["Subject"]))
    )


async def test_a_new_message_goes_through_the_relay_and_reaches_the_others_once(
    committed_session_factory: SessionFactory,
    worker_environment: dict[str, str],
    client_app: Any,
    inbox: SmtpInbox,
    tmp_path: Path,
) -> None:
    async with committed_session_factory() as session, session.begin():
        at = await practice(session)
        conversation = Conversation(
            conversation_type=ConversationType.CLINIC_SUPPORT,
            clinic_id=at.clinic.id,
            pet_id=at.pet.id,
            subject="Rex is limping",
        )
        session.add(conversation)
        await session.flush()
        for user, role in (
            (at.owner, ParticipantRole.MEMBER),
            (at.receptionist, ParticipantRole.STAFF),
        ):
            session.add(
                ConversationParticipant(conversation_id=conversation.id, user_id=user.id, role=role)
            )
        message = Message(
            conversation_id=conversation.id,
            sender_id=at.owner.id,
            message_type=MessageType.TEXT,
            body="He has been limping since this morning.",
            created_at=datetime.now(UTC),
        )
        session.add(message)
        await session.flush()
        # What post_message writes with the message.
        await enqueue(
            session,
            NEW_MESSAGE_TOPIC,
            {
                "conversation_id": str(conversation.id),
                "message_id": str(message.id),
                "sender_id": str(at.owner.id),
                "message_type": "text",
                "clinic_id": str(at.clinic.id),
                "recipient_ids": [str(at.receptionist.id)],
            },
            dedup_key=f"{NEW_MESSAGE_TOPIC}:{message.id}",
        )
    async with committed_session_factory() as session:
        event = (
            await session.execute(
                select(OutboxEvent).where(
                    OutboxEvent.dedup_key == f"{NEW_MESSAGE_TOPIC}:{message.id}"
                )
            )
        ).scalar_one()
    worker = start_worker(worker_environment, tmp_path)
    relay = start_relay(worker_environment, tmp_path)
    try:
        wait_for(lambda: runs(worker, NEW_MESSAGE_TOPIC, str(event.id)) == 1, 60, "the relay")
        # The relay dying before it committed "published" would publish it again: same id.
        client_app.send_task(NEW_MESSAGE_TOPIC, kwargs=dict(event.payload), task_id=str(event.id))
        wait_for(lambda: runs(worker, NEW_MESSAGE_TOPIC, str(event.id)) == 2, 60, "the rerun")
    finally:
        relay.stop()
        worker.stop()

    [mail] = mails_to(inbox, at.receptionist.email)
    assert "He has been limping since this morning." in body_of(mail)
    assert mails_to(inbox, at.owner.email) == []
    assert await _deliveries(committed_session_factory, at.receptionist.id) == 2
    async with committed_session_factory() as session:
        published = await session.get_one(OutboxEvent, event.id)
        assert published.status is OutboxStatus.PUBLISHED
