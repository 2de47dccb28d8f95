"""A paid deposit confirms a scheduled appointment and tells the owner once; a new chat message
notifies the other participants (never the sender, nobody who left or muted) once each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from factories import NOW, Builder, make_practice
from followup_support import plain
from notifications.loopback import SmtpSink
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import (
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
    ParticipantRole,
    PaymentStatus,
    StaffRole,
)
from vet_core.models.outbox import OutboxEvent
from vet_services.messaging.conversations import NEW_MESSAGE_TOPIC
from vet_services.messaging.notices import notify_new_message, preview
from vet_services.notifications.dispatcher import Dispatcher
from vet_services.scheduling.deposits import settle_deposit

STARTS = datetime(2031, 3, 5, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York


async def test_a_paid_deposit_confirms_the_appointment_and_tells_the_owner_once(
    build: Builder, db_session: AsyncSession, mailer: Dispatcher, smtp: SmtpSink
) -> None:
    practice = await make_practice(build)
    appointment = await build.appointment(
        vet=practice.vet, clinic=practice.clinic, pet=practice.pet, starts_at=STARTS
    )
    payment = await build.add(
        Payment(
            user_id=practice.owner.user.id,
            appointment_id=appointment.id,
            amount=2_500,
            currency="USD",
            status=PaymentStatus.SUCCEEDED,
        )
    )

    first = await settle_deposit(db_session, mailer, appointment.id, payment.id, now=NOW)
    again = await settle_deposit(db_session, mailer, appointment.id, payment.id, now=NOW)

    assert first.confirmed
    assert first.status is AppointmentStatus.CONFIRMED
    assert not again.confirmed
    assert again.status is AppointmentStatus.CONFIRMED
    assert first.notices.sent == 2
    assert again.notices.sent == 0
    await db_session.refresh(appointment)
    assert appointment.status is AppointmentStatus.CONFIRMED
    assert appointment.version == 2
    [mail] = smtp.to(practice.owner.user.email)
    body = plain(mail)
    assert "25.00 USD" in body
    assert "Rex" in body
    assert "is confirmed" in body
    assert "Wednesday 5 March 2031 at 10:00 EST" in body


async def test_a_requested_appointment_stays_for_the_clinic_to_approve(
    build: Builder, db_session: AsyncSession, mailer: Dispatcher, smtp: SmtpSink
) -> None:
    practice = await make_practice(build)
    appointment = await build.appointment(
        vet=practice.vet,
        clinic=practice.clinic,
        pet=practice.pet,
        starts_at=STARTS,
        status=AppointmentStatus.REQUESTED,
    )
    unpaid = await build.add(
        Payment(
            user_id=practice.owner.user.id,
            appointment_id=appointment.id,
            amount=2_500,
            currency="USD",
            status=PaymentStatus.PENDING,
        )
    )
    assert (
        await settle_deposit(db_session, mailer, appointment.id, unpaid.id, now=NOW)
    ).notices.claimed == 0
    unpaid.status = PaymentStatus.SUCCEEDED
    await db_session.flush()

    outcome = await settle_deposit(db_session, mailer, appointment.id, unpaid.id, now=NOW)

    assert not outcome.confirmed
    assert outcome.status is AppointmentStatus.REQUESTED
    [mail] = smtp.to(practice.owner.user.email)
    assert "will confirm the appointment shortly" in plain(mail)


async def _conversation(build: Builder) -> tuple[object, ...]:
    practice = await make_practice(build)
    nurse = await build.staff(practice.clinic, StaffRole.VET_TECH)
    muted = await build.staff(practice.clinic, StaffRole.RECEPTIONIST)
    gone = await build.staff(practice.clinic, StaffRole.CLINIC_ADMIN)
    conversation = await build.add(
        Conversation(
            conversation_type=ConversationType.CLINIC_SUPPORT,
            clinic_id=practice.clinic.id,
            pet_id=practice.pet.id,
            subject="Rex is limping",
        )
    )
    joined = datetime.now(UTC) - timedelta(days=1)
    for person, values in (
        (practice.owner, {}),
        (nurse, {"role": ParticipantRole.STAFF}),
        (muted, {"role": ParticipantRole.STAFF, "is_muted": True}),
        (gone, {"role": ParticipantRole.STAFF, "left_at": joined + timedelta(hours=1)}),
    ):
        await build.add(
            ConversationParticipant(
                conversation_id=conversation.id, user_id=person.user.id, joined_at=joined, **values
            )
        )
    return practice, conversation, nurse, muted, gone


async def test_a_new_message_notifies_the_other_participants_once(
    build: Builder, db_session: AsyncSession, mailer: Dispatcher, smtp: SmtpSink
) -> None:
    practice, conversation, nurse, muted, gone = await _conversation(build)
    body = "He has been limping on his front left leg since this morning. " * 4
    message = await build.add(
        Message(
            conversation_id=conversation.id,
            sender_id=practice.owner.user.id,
            message_type=MessageType.TEXT,
            body=body,
            created_at=datetime.now(UTC),
        )
    )

    first = await notify_new_message(db_session, mailer, message.id)
    again = await notify_new_message(db_session, mailer, message.id)

    assert first.sent == 2
    assert again.sent == 0
    assert again.duplicates == 2
    [mail] = smtp.to(nurse.user.email)
    assert preview(body) in plain(mail)
    assert len(preview(body)) == 140
    assert preview(body).endswith("…")
    assert "Rex is limping" in plain(mail)
    for person in (practice.owner, muted, gone):
        assert smtp.to(person.user.email) == []
    keys = (
        await db_session.execute(
            select(NotificationDelivery.dedup_key).where(
                NotificationDelivery.user_id == nurse.user.id
            )
        )
    ).scalars()
    assert sorted(keys) == [
        f"new-message:{message.id}:{nurse.user.id}:email",
        f"new-message:{message.id}:{nurse.user.id}:in_app",
    ]


async def test_system_messages_notify_nobody_and_quiet_hours_put_the_notice_off(
    build: Builder, db_session: AsyncSession, mailer: Dispatcher, smtp: SmtpSink
) -> None:
    practice, conversation, nurse, _, _ = await _conversation(build)
    system = await build.add(
        Message(
            conversation_id=conversation.id,
            sender_id=None,
            message_type=MessageType.SYSTEM,
            body="Sam joined",
            created_at=datetime.now(UTC),
        )
    )
    assert (await notify_new_message(db_session, mailer, system.id)).claimed == 0

    # 12:00 UTC is 07:00 in New York: inside the nurse's quiet hours (22:00-08:00).
    nurse.user.preferences = {
        "timezone": "America/New_York",
        "quiet_hours": {"start": "22:00", "end": "08:00"},
    }
    await db_session.flush()
    message = await build.add(
        Message(
            conversation_id=conversation.id,
            sender_id=practice.owner.user.id,
            message_type=MessageType.TEXT,
            body="Are you open?",
            created_at=NOW - timedelta(minutes=1),
        )
    )
    report = await notify_new_message(db_session, mailer, message.id, now=NOW)
    again = await notify_new_message(db_session, mailer, message.id, now=NOW)

    assert report.deferred == (nurse.user.id,)
    assert again.deferred == (nurse.user.id,)
    assert report.not_before == datetime(2031, 3, 3, 13, 0, tzinfo=UTC)
    assert smtp.to(nurse.user.email) == []
    jobs = (
        (
            await db_session.execute(
                select(OutboxEvent).where(
                    OutboxEvent.topic == NEW_MESSAGE_TOPIC,
                    OutboxEvent.payload["message_id"].astext == str(message.id),
                )
            )
        )
        .scalars()
        .all()
    )
    [job] = jobs  # the redelivered job put it off only once
    assert job.available_at == report.not_before
    assert job.payload["recipient_ids"] == [str(nurse.user.id)]
    assert (
        await db_session.scalar(
            select(func.count())
            .select_from(NotificationDelivery)
            .where(NotificationDelivery.user_id == nurse.user.id)
        )
        == 0
    )
