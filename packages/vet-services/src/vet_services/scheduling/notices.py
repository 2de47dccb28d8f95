"""What owners are told about their appointments: the booking confirmation and waitlist offers.

The worker sends both after the change committed (the jobs of :mod:`.events`), through
:mod:`vet_services.notifications.followup` under a key of their own (``appointment-booked:<id>``,
``waitlist-offer:<entry>:<appointment>``), so a job delivered twice sends once. An owner in quiet
hours is not woken: the confirmation is enqueued again for the first allowed instant.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
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
from vet_services.notifications.dispatcher import Dispatcher, Notice
from vet_services.notifications.followup import (
    FollowUpReport,
    defer_job,
    notify_users,
    short_reference,
)
from vet_services.notifications.preferences import read_preferences, user_timezone
from vet_services.notifications.templates import format_local
from vet_services.reminders.planner import plan_appointment
from vet_services.scheduling.events import APPOINTMENT_BOOKED_TOPIC

BOOKED_TEMPLATE = "appointment_booked"
OFFER_TEMPLATE = "waitlist_offer"


@dataclass(frozen=True, slots=True)
class BookingFollowUp:
    """What the booking job did: reminders planned, and the confirmation (``None``: not sent)."""

    reminders: int
    confirmation: FollowUpReport | None


def _always(notice: Notice) -> Callable[[User], Notice]:
    """The same notice whoever the recipient (each of these notices has exactly one)."""
    return lambda _recipient: notice


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
        "reference": short_reference(appointment.id),
    }


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
    key = f"appointment-booked:{appointment.id}"
    report = await notify_users(
        session,
        dispatcher,
        [owner],
        _always(notice),
        key=key,
        now=now,
        fallback_timezone=clinic.timezone,
        pets=[pet],
    )
    await defer_job(
        session, APPOINTMENT_BOOKED_TOPIC, {"appointment_id": str(appointment.id)}, report, key=key
    )
    return BookingFollowUp(reminders=len(planned), confirmation=report)


async def notify_waitlist_offers(
    session: AsyncSession,
    dispatcher: Dispatcher,
    entries: list[WaitlistEntry],
    *,
    now: datetime | None = None,
) -> list[FollowUpReport]:
    """Tell each waiting owner in ``entries`` that a slot is theirs to claim until it expires.

    Only entries still ``offered`` for their appointment are told (an offer that expired or was
    claimed meanwhile is not news); the key names entry and appointment, so each offer is
    announced once however often the job runs. An offer is only worth something while it lasts:
    in the owner's quiet hours it is not sent (it still shows in their waitlist) rather than
    sent stale.
    """
    now = now or utcnow()
    reports: list[FollowUpReport] = []
    for entry in entries:
        if entry.status is not WaitlistStatus.OFFERED or entry.offered_appointment_id is None:
            continue
        appointment = await session.get_one(Appointment, entry.offered_appointment_id)
        pet = await session.get_one(Pet, entry.pet_id)
        owner = await session.get_one(User, entry.requested_by_id)
        clinic = await session.get_one(Clinic, entry.clinic_id)
        context = await _appointment_context(session, appointment, owner, clinic, pet)
        context["expires"] = format_local(
            to_zone(entry.offer_expires_at or now, user_timezone(owner, clinic.timezone)),
            read_preferences(owner).language,
        )
        notice = Notice(
            template=OFFER_TEMPLATE,
            context=context,
            category=NotificationCategory.APPOINTMENT,
            appointment_id=appointment.id,
            data={"waitlist_entry_id": str(entry.id), "appointment_id": str(appointment.id)},
        )
        reports.append(
            await notify_users(
                session,
                dispatcher,
                [owner],
                _always(notice),
                key=f"waitlist-offer:{entry.id}:{appointment.id}",
                now=now,
                fallback_timezone=clinic.timezone,
                pets=[pet],
            )
        )
    return reports


__all__ = [
    "BOOKED_TEMPLATE",
    "OFFER_TEMPLATE",
    "BookingFollowUp",
    "follow_up_booking",
    "notify_waitlist_offers",
]
