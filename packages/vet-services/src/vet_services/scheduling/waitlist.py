"""The waitlist: owners wait for a clinic (or one veterinarian) within a date window.

When an appointment is cancelled its slot is offered to the first matching waiting entries (oldest
first), each marked ``offered`` with an expiry and pointing at the freed appointment. Several
owners may hold an offer for one slot; claiming books through the ordinary booking path, so the
exclusion constraint lets exactly one claimer win and every other gets ``WAITLIST_SLOT_TAKEN``.
An offer that lapses returns the entry to ``waiting``; an entry whose window has passed expires.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import (
    BusinessRuleException,
    ConflictException,
    NotFoundException,
    PermissionDeniedException,
)
from vet_core.models import Appointment, WaitlistEntry
from vet_core.models.enums import AppointmentStatus, ServiceType, WaitlistStatus
from vet_core.utils.time import ensure_aware, utcnow
from vet_services.auth.permissions import Action, Actor, Resource, authorize
from vet_services.scheduling.access import appointment_resource, pet_owner_ids
from vet_services.scheduling.booking import APPOINTMENT_OVERLAP, BookingRequest, book_appointment
from vet_services.scheduling.policy import SchedulingPolicy

SLOT_TAKEN = "WAITLIST_SLOT_TAKEN"
OFFER_NOT_ACTIVE = "WAITLIST_OFFER_NOT_ACTIVE"
#: How many waiting owners one freed slot is offered to by default.
DEFAULT_OFFER_COUNT = 3
_FREEING_STATUSES = frozenset({AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW})


async def _entry_for(
    session: AsyncSession, actor: Actor, entry_id: uuid.UUID, action: Action
) -> WaitlistEntry:
    entry = await session.get(WaitlistEntry, entry_id)
    if entry is None:
        raise NotFoundException("Waitlist entry not found", code="WAITLIST_ENTRY_NOT_FOUND")
    owners = await pet_owner_ids(session, entry.pet_id)
    resource = Resource.of(
        "waitlist_entry",
        entry.id,
        owners=owners | {entry.requested_by_id},
        clinics=[entry.clinic_id],
    )
    authorize(actor, action, resource)
    return entry


async def join_waitlist(
    session: AsyncSession,
    actor: Actor,
    *,
    clinic_id: uuid.UUID,
    pet_id: uuid.UUID,
    service_type: ServiceType,
    veterinarian_id: uuid.UUID | None = None,
    earliest_at: datetime | None = None,
    latest_at: datetime | None = None,
    notes: str | None = None,
) -> WaitlistEntry:
    """Put a pet on the clinic's waitlist (owners for their pets, staff for anyone's)."""
    owners = await pet_owner_ids(session, pet_id)
    authorize(
        actor,
        Action.APPOINTMENT_BOOK,
        appointment_resource(None, clinic_id=clinic_id, owners=owners),
    )
    if actor.user_id is None:
        raise PermissionDeniedException("Waitlist entries are made by users", code="USER_REQUIRED")
    earliest_at = ensure_aware(earliest_at, field="earliest_at") if earliest_at else None
    latest_at = ensure_aware(latest_at, field="latest_at") if latest_at else None
    if earliest_at is not None and latest_at is not None and latest_at <= earliest_at:
        raise BusinessRuleException(
            "the waiting window must end after it starts", code="WAITLIST_WINDOW_INVALID"
        )
    entry = WaitlistEntry(
        clinic_id=clinic_id,
        veterinarian_id=veterinarian_id,
        pet_id=pet_id,
        requested_by_id=actor.user_id,
        service_type=service_type,
        status=WaitlistStatus.WAITING,
        earliest_at=earliest_at,
        latest_at=latest_at,
        notes=notes,
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    session.add(entry)
    await session.flush()
    return entry


async def leave_waitlist(session: AsyncSession, actor: Actor, entry_id: uuid.UUID) -> None:
    """Take an entry off the waitlist (waiting or offered); a finished entry is left alone."""
    await _entry_for(session, actor, entry_id, Action.APPOINTMENT_CANCEL)
    await session.execute(
        update(WaitlistEntry)
        .where(
            WaitlistEntry.id == entry_id,
            WaitlistEntry.status.in_([WaitlistStatus.WAITING, WaitlistStatus.OFFERED]),
        )
        .values(status=WaitlistStatus.CANCELLED, updated_by=actor.user_id)
        .execution_options(synchronize_session="fetch")
    )


async def offer_freed_slot(
    session: AsyncSession,
    *,
    freed_appointment_id: uuid.UUID,
    service_type: ServiceType | None = None,
    count: int = DEFAULT_OFFER_COUNT,
    policy: SchedulingPolicy | None = None,
    now: datetime | None = None,
) -> list[WaitlistEntry]:
    """Offer the slot of a cancelled (or no-show) appointment to the first ``count`` matches.

    A match waits at the same clinic, for that veterinarian or any, for ``service_type`` (the
    freed appointment's by default), with a window containing the slot. Rows are locked with
    ``SKIP LOCKED`` so two offer jobs never hand out one entry twice. A system step (a job after
    a cancellation), hence no actor. Returns the entries now offered, oldest first.
    """
    policy = policy or SchedulingPolicy()
    now = ensure_aware(now, field="now") if now is not None else utcnow()
    freed = await session.get(Appointment, freed_appointment_id)
    if freed is None or freed.status not in _FREEING_STATUSES or freed.starts_at <= now:
        return []
    wanted = service_type or freed.service_type
    candidates = (
        await session.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.clinic_id == freed.clinic_id,
                WaitlistEntry.status == WaitlistStatus.WAITING,
                WaitlistEntry.service_type == wanted,
                or_(
                    WaitlistEntry.veterinarian_id.is_(None),
                    WaitlistEntry.veterinarian_id == freed.veterinarian_id,
                ),
                or_(
                    WaitlistEntry.earliest_at.is_(None),
                    WaitlistEntry.earliest_at <= freed.starts_at,
                ),
                or_(WaitlistEntry.latest_at.is_(None), WaitlistEntry.latest_at >= freed.ends_at),
            )
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
            .limit(count)
            .with_for_update(skip_locked=True)
        )
    ).all()
    expires_at = now + policy.waitlist_offer_duration
    for entry in candidates:
        entry.status = WaitlistStatus.OFFERED
        entry.offered_appointment_id = freed.id
        entry.offered_at = now
        entry.offer_expires_at = expires_at
    await session.flush()
    return list(candidates)


async def claim_offer(
    session: AsyncSession,
    actor: Actor,
    entry_id: uuid.UUID,
    *,
    idempotency_key: str | None = None,
    policy: SchedulingPolicy | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book the offered slot for the entry's pet; the first claimer wins.

    Raises ``WAITLIST_OFFER_NOT_ACTIVE`` when there is no live offer and ``WAITLIST_SLOT_TAKEN``
    (with alternatives) when someone else booked the slot first.
    """
    now = ensure_aware(now, field="now") if now is not None else utcnow()
    entry = await _entry_for(session, actor, entry_id, Action.APPOINTMENT_BOOK)
    if (
        entry.status is not WaitlistStatus.OFFERED
        or entry.offered_appointment_id is None
        or entry.offer_expires_at is None
        or entry.offer_expires_at <= now
    ):
        raise ConflictException("This offer is no longer open", code=OFFER_NOT_ACTIVE)
    freed = await session.get(Appointment, entry.offered_appointment_id)
    if freed is None:
        raise ConflictException("This offer is no longer open", code=OFFER_NOT_ACTIVE)
    request = BookingRequest(
        pet_id=entry.pet_id,
        veterinarian_id=freed.veterinarian_id,
        clinic_id=freed.clinic_id,
        service_type=entry.service_type,
        starts_at=freed.starts_at,
        ends_at=freed.ends_at,
        notes=entry.notes,
        idempotency_key=idempotency_key,
    )
    try:
        appointment = await book_appointment(session, actor, request, policy=policy, now=now)
    except ConflictException as error:
        if error.code != APPOINTMENT_OVERLAP:
            raise
        raise ConflictException(
            "Someone else took this slot first", code=SLOT_TAKEN, details=error.details
        ) from error
    booked = await session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.id == entry.id, WaitlistEntry.status == WaitlistStatus.OFFERED)
        .values(status=WaitlistStatus.BOOKED, updated_by=actor.user_id)
        .returning(WaitlistEntry.id)
        .execution_options(synchronize_session="fetch")
    )
    if booked.scalar_one_or_none() is None:
        raise ConflictException("This offer is no longer open", code=OFFER_NOT_ACTIVE)
    return appointment


async def expire_waitlist(session: AsyncSession, *, now: datetime | None = None) -> tuple[int, int]:
    """Return lapsed offers to ``waiting`` and expire entries whose window has passed.

    Returns ``(offers_lapsed, entries_expired)``; run periodically by a job.
    """
    now = ensure_aware(now, field="now") if now is not None else utcnow()
    lapsed = await session.execute(
        update(WaitlistEntry)
        .where(
            WaitlistEntry.status == WaitlistStatus.OFFERED, WaitlistEntry.offer_expires_at <= now
        )
        .values(
            status=WaitlistStatus.WAITING,
            offered_appointment_id=None,
            offered_at=None,
            offer_expires_at=None,
        )
        .returning(WaitlistEntry.id)
        .execution_options(synchronize_session=False)
    )
    expired = await session.execute(
        update(WaitlistEntry)
        .where(
            WaitlistEntry.status.in_([WaitlistStatus.WAITING, WaitlistStatus.OFFERED]),
            WaitlistEntry.latest_at <= now,
        )
        .values(status=WaitlistStatus.EXPIRED)
        .returning(WaitlistEntry.id)
        .execution_options(synchronize_session=False)
    )
    return len(lapsed.all()), len(expired.all())


__all__ = [
    "OFFER_NOT_ACTIVE",
    "SLOT_TAKEN",
    "claim_offer",
    "expire_waitlist",
    "join_waitlist",
    "leave_waitlist",
    "offer_freed_slot",
]
