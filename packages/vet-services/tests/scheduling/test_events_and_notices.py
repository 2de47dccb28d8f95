"""Appointment changes enqueue their jobs in the same transaction; the jobs tell owners once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from factories import NOW, Practice
from sqlalchemy import select

from vet_core.models import OutboxEvent, Reminder
from vet_core.models.enums import (
    AppointmentStatus,
    ReminderKind,
    ServiceType,
    WaitlistStatus,
)
from vet_services.notifications.channels import EmailChannel
from vet_services.notifications.dispatcher import Dispatcher
from vet_services.notifications.settings import SmtpSettings
from vet_services.scheduling import (
    BookingRequest,
    book_appointment,
    cancel,
    confirm,
    follow_up_booking,
    join_waitlist,
    notify_waitlist_offers,
    offer_freed_slot,
    reschedule,
)
from vet_services.scheduling.events import APPOINTMENT_BOOKED_TOPIC, SLOT_FREED_TOPIC

NEW_YORK = ZoneInfo("America/New_York")
TUESDAY = date(2031, 3, 4)


def at(hour: int, minute: int = 0, day: date = TUESDAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK).astimezone(UTC)


def request_for(practice: Practice, starts_at: datetime, **changes) -> BookingRequest:
    return BookingRequest(
        pet_id=practice.pet.id,
        veterinarian_id=practice.vet.id,
        clinic_id=practice.clinic.id,
        service_type=ServiceType.WELLNESS_EXAM,
        starts_at=starts_at,
        **changes,
    )


async def jobs(session, topic: str) -> list[str]:
    """The appointment ids of the outbox rows of ``topic``, oldest first."""
    rows = await session.scalars(
        select(OutboxEvent).where(OutboxEvent.topic == topic).order_by(OutboxEvent.created_at)
    )
    return [row.payload["appointment_id"] for row in rows]


def email_dispatcher(smtp) -> Dispatcher:
    return Dispatcher(
        [EmailChannel(SmtpSettings(host="127.0.0.1", port=smtp.port, start_tls=False))]
    )


async def test_a_booking_enqueues_its_follow_up_once_even_when_replayed(db_session, practice):
    request = request_for(practice, at(10), idempotency_key="book-1")
    first = await book_appointment(db_session, practice.owner.actor, request, now=NOW)
    again = await book_appointment(db_session, practice.owner.actor, request, now=NOW)

    assert again.id == first.id
    assert await jobs(db_session, APPOINTMENT_BOOKED_TOPIC) == [str(first.id)]
    assert await jobs(db_session, SLOT_FREED_TOPIC) == []


async def test_cancelling_frees_the_slot_for_the_waitlist_and_confirming_does_not(
    db_session, practice
):
    kept = await book_appointment(
        db_session, practice.owner.actor, request_for(practice, at(10)), now=NOW
    )
    dropped = await book_appointment(
        db_session, practice.owner.actor, request_for(practice, at(11)), now=NOW
    )
    await confirm(db_session, practice.receptionist.actor, kept.id, now=NOW)
    await cancel(db_session, practice.owner.actor, dropped.id, now=NOW)

    assert await jobs(db_session, SLOT_FREED_TOPIC) == [str(dropped.id)]


async def test_a_move_frees_the_old_slot_and_books_the_new_one(db_session, practice):
    old = await book_appointment(
        db_session, practice.owner.actor, request_for(practice, at(10)), now=NOW
    )
    new = await reschedule(db_session, practice.owner.actor, old.id, starts_at=at(14), now=NOW)

    assert await jobs(db_session, SLOT_FREED_TOPIC) == [str(old.id)]
    assert await jobs(db_session, APPOINTMENT_BOOKED_TOPIC) == [str(old.id), str(new.id)]


async def test_the_follow_up_plans_reminders_and_confirms_to_the_owner_once(
    db_session, practice, smtp
):
    appointment = await book_appointment(
        db_session, practice.owner.actor, request_for(practice, at(10)), now=NOW
    )
    dispatcher = email_dispatcher(smtp)

    first = await follow_up_booking(db_session, dispatcher, appointment.id, now=NOW)
    second = await follow_up_booking(db_session, dispatcher, appointment.id, now=NOW)

    reminders = (
        await db_session.scalars(select(Reminder).where(Reminder.appointment_id == appointment.id))
    ).all()
    assert first.reminders == len(reminders) >= 1
    assert {r.kind for r in reminders} == {ReminderKind.APPOINTMENT}
    assert at(10) - timedelta(hours=24) in {r.due_at for r in reminders}
    assert second.reminders == 0
    assert first.confirmation is not None
    assert first.confirmation.sent == 2  # e-mail and in-app
    assert second.confirmation is not None
    assert (second.confirmation.sent, second.confirmation.duplicates) == (0, 2)

    mails = smtp.to(practice.owner.user.email)
    assert len(mails) == 1
    assert mails[0].message["Subject"].startswith("Appointment booked for Rex")
    body = mails[0].part("text/plain")
    assert "Tuesday 4 March 2031 at 10:00 EST" in body
    assert practice.clinic.name in body


async def test_no_confirmation_for_an_appointment_cancelled_before_the_job_ran(
    db_session, practice, smtp
):
    appointment = await book_appointment(
        db_session, practice.owner.actor, request_for(practice, at(10)), now=NOW
    )
    await cancel(db_session, practice.owner.actor, appointment.id, now=NOW)

    done = await follow_up_booking(db_session, email_dispatcher(smtp), appointment.id, now=NOW)

    assert done.confirmation is None
    assert done.reminders == 0
    assert smtp.to(practice.owner.user.email) == []


async def test_waitlist_offers_are_announced_once_to_the_waiting_owner(
    db_session, build, practice, smtp
):
    entry = await join_waitlist(
        db_session,
        practice.other_owner.actor,
        clinic_id=practice.clinic.id,
        pet_id=practice.other_pet.id,
        service_type=ServiceType.WELLNESS_EXAM,
    )
    appointment = await build.appointment(
        vet=practice.vet, clinic=practice.clinic, pet=practice.pet, starts_at=at(10)
    )
    await cancel(db_session, practice.receptionist.actor, appointment.id, now=NOW)
    offered = await offer_freed_slot(db_session, freed_appointment_id=appointment.id, now=NOW)
    dispatcher = email_dispatcher(smtp)

    first = await notify_waitlist_offers(db_session, dispatcher, offered, now=NOW)
    again = await notify_waitlist_offers(db_session, dispatcher, offered, now=NOW)

    assert [e.id for e in offered] == [entry.id]
    assert entry.status is WaitlistStatus.OFFERED
    assert first[0].sent == 2  # e-mail and in-app
    assert (again[0].sent, again[0].duplicates) == (0, 2)
    mails = smtp.to(practice.other_owner.user.email)
    assert len(mails) == 1
    assert "Claim it in the app" in mails[0].part("text/plain")
    assert appointment.status is AppointmentStatus.CANCELLED
