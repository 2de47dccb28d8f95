"""What owners are told about their appointments: the booking confirmation and waitlist offers.

The worker sends both after the change committed (the jobs of :mod:`.events`). Each goes through
the dispatcher under a key of its own (``appointment-booked:<id>``, ``waitlist-offer:<entry>:
<appointment>``), so a job delivered twice sends once. An owner in quiet hours is not woken: the
confirmation is enqueued again for the first allowed instant.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import Appointment, Clinic, Pet, User, Veterinarian, WaitlistEntry
from vet_core.models.enums import (
    ACTIVE_APPOINTMENT_STATUSES,
    AppointmentStatus,
    NotificationCategory,
    WaitlistStatus,
)
from vet_core.utils.time import to_zone, utcnow
from vet_services.notifications.dispatcher import (
    Dispatcher,
    DispatchOutcome,
    DispatchStatus,
    Notice,
)
from vet_services.notifications.preferences import read_preferences, user_timezone
from vet_services.notifications.templates import format_local
from vet_services.outbox import enqueue
from vet_services.reminders.planner import plan_appointment
from vet_services.scheduling.events import APPOINTMENT_BOOKED_TOPIC

BOOKED_TEMPLATE = "appointment_booked"
OFFER_TEMPLATE = "waitlist_offer"


@dataclass(frozen=True, slots=True)
class BookingFollowUp:
    """What the booking job did: reminders planned, and the confirmation's dispatch outcome."""

    reminders: int
    confirmation: DispatchOutcome | None


async def _veterinarian_name(session: AsyncSession, veterinarian_id: uuid.UUID) -> str | None:
    row = await session.execute(
        select(User.first_name, User.last_name)
        .join(Veterinarian, Veterinarian.user_id == User.id)
        .where(Veterinarian.id == veterinarian_id)
    )
    names = row.one_or_none()
    return f"Dr. {names.first_name} {names.last_name}" if names else None


async def _appointment_context(
    session: AsyncSession, appointment: Appointment, recipient: User, clinic: Clinic, pet: Pet
) -> dict[str, Any]:
    """The words every appointment notice uses, in the recipient's language and zone."""
    language = read_preferences(recipient).language
    zone = user_timezone(recipient, clinic.timezone)
    return {
        "recipient_name": recipient.first_name,
        "pet": pet.name,
        "clinic": clinic.name,
        "clinic_address": ", ".join(
            part for part in (clinic.address_line1, clinic.address_line2, clinic.city) if part
        ),
        "clinic_phone": clinic.phone,
        "veterinarian": await _veterinarian_name(session, appointment.veterinarian_id),
        "service": appointment.service_type.value.replace("_", " "),
        "when": format_local(to_zone(appointment.starts_at, zone), language),
        "minutes": int((appointment.ends_at - appointment.starts_at).total_seconds() // 60),
        "awaiting_approval": appointment.status is AppointmentStatus.REQUESTED,
        "reference": str(appointment.id)[:8].upper(),
    }


async def _dispatch_or_defer(
    session: AsyncSession,
    dispatcher: Dispatcher,
    *,
    recipient: User,
    notice: Notice,
    dedup_key: str,
    pets: list[Pet],
    clinic: Clinic,
    topic: str,
    payload: dict[str, str],
    now: datetime,
) -> DispatchOutcome:
    """Send now, or, in the recipient's quiet hours, enqueue ``topic`` again for when it ends."""
    outcome = await dispatcher.dispatch(
        session,
        recipient=recipient,
        notice=notice,
        dedup_key=dedup_key,
        due_at=now,
        now=now,
        pets=pets,
        fallback_timezone=clinic.timezone,
    )
    if outcome.status is DispatchStatus.DEFERRED and outcome.not_before is not None:
        await enqueue(
            session,
            topic,
            payload,
            dedup_key=f"{dedup_key}:after:{outcome.not_before.isoformat()}",
            available_at=outcome.not_before,
        )
    return outcome


async def follow_up_booking(
    session: AsyncSession,
    dispatcher: Dispatcher,
    appointment_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> BookingFollowUp:
    """Plan the reminders of a new booking and send its owner the confirmation (once).

    An appointment cancelled or moved before the job ran gets neither: the owner has already
    been told about the change that replaced it.
    """
    now = now or utcnow()
    appointment = await session.get(Appointment, appointment_id)
    if appointment is None or appointment.status not in ACTIVE_APPOINTMENT_STATUSES:
        return BookingFollowUp(reminders=0, confirmation=None)
    planned = await plan_appointment(session, appointment, now)
    pet = await session.get_one(Pet, appointment.pet_id)
    owner = await session.get_one(User, pet.owner_id)
    clinic = await session.get_one(Clinic, appointment.clinic_id)
    notice = Notice(
        template=BOOKED_TEMPLATE,
        context=await _appointment_context(session, appointment, owner, clinic, pet),
        category=NotificationCategory.APPOINTMENT,
        appointment_id=appointment.id,
        data={"appointment_id": str(appointment.id)},
    )
    outcome = await _dispatch_or_defer(
        session,
        dispatcher,
        recipient=owner,
        notice=notice,
        dedup_key=f"appointment-booked:{appointment.id}",
        pets=[pet],
        clinic=clinic,
        topic=APPOINTMENT_BOOKED_TOPIC,
        payload={"appointment_id": str(appointment.id)},
        now=now,
    )
    return BookingFollowUp(reminders=len(planned), confirmation=outcome)


async def notify_waitlist_offers(
    session: AsyncSession,
    dispatcher: Dispatcher,
    entries: list[WaitlistEntry],
    *,
    now: datetime | None = None,
) -> list[DispatchOutcome]:
    """Tell each waiting owner in ``entries`` that a slot is theirs to claim until it expires.

    Only entries still ``offered`` for their appointment are told (an offer that expired or was
    claimed meanwhile is not news); the key names entry and appointment, so each offer is
    announced once however often the job runs.
    """
    now = now or utcnow()
    outcomes: list[DispatchOutcome] = []
    for entry in entries:
        if entry.status is not WaitlistStatus.OFFERED or entry.offered_appointment_id is None:
            continue
        appointment = await session.get_one(Appointment, entry.offered_appointment_id)
        pet = await session.get_one(Pet, entry.pet_id)
        owner = await session.get_one(User, entry.requested_by_id)
        clinic = await session.get_one(Clinic, entry.clinic_id)
        context = await _appointment_context(session, appointment, owner, clinic, pet)
        expires = entry.offer_expires_at or now
        context["expires"] = format_local(
            to_zone(expires, user_timezone(owner, clinic.timezone)),
            read_preferences(owner).language,
        )
        notice = Notice(
            template=OFFER_TEMPLATE,
            context=context,
            category=NotificationCategory.APPOINTMENT,
            appointment_id=appointment.id,
            data={"waitlist_entry_id": str(entry.id), "appointment_id": str(appointment.id)},
        )
        outcomes.append(
            await dispatcher.dispatch(
                session,
                recipient=owner,
                notice=notice,
                dedup_key=f"waitlist-offer:{entry.id}:{appointment.id}",
                # An offer is only worth something while it lasts: in the owner's quiet hours
                # it is not sent (it still shows in their waitlist) rather than sent stale.
                due_at=now,
                now=now,
                pets=[pet],
                fallback_timezone=clinic.timezone,
            )
        )
    return outcomes


__all__ = [
    "BOOKED_TEMPLATE",
    "OFFER_TEMPLATE",
    "BookingFollowUp",
    "follow_up_booking",
    "notify_waitlist_offers",
]
