"""Slot holds: a few minutes in which a slot is kept for one owner while they finish checking out.

A hold is advisory: availability hides held time and booking refuses it to everyone but the
holder, yet the exclusion constraint on appointments remains the only guarantee against double
booking. Hold creation for one veterinarian is serialised by a transaction-scoped advisory lock,
so two owners racing for the same slot do not both get a hold. An expired hold is ignored
everywhere at once; :func:`expire_holds` merely tidies the status afterwards.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import BusinessRuleException, ConflictException, NotFoundException
from vet_core.models import Appointment, AppointmentHold
from vet_core.models.enums import HoldStatus, ServiceType
from vet_core.utils.time import ensure_aware, utcnow
from vet_services.auth.permissions import Action, Actor, Resource, authorize
from vet_services.scheduling.access import appointment_resource, pet_owner_ids
from vet_services.scheduling.availability import check_interval
from vet_services.scheduling.booking import (
    OUTSIDE_AVAILABILITY,
    BookingRequest,
    book_appointment,
    overlap_conflict,
)
from vet_services.scheduling.policy import SchedulingPolicy

HOLD_NOT_ACTIVE = "HOLD_NOT_ACTIVE"
HOLD_MISMATCH = "HOLD_MISMATCH"


def _lock_key(veterinarian_id: uuid.UUID) -> int:
    """A signed 64-bit advisory-lock key for one veterinarian's holds."""
    return int.from_bytes(veterinarian_id.bytes[:8], "big", signed=True)


def _hold_resource(hold: AppointmentHold) -> Resource:
    return Resource.of("hold", hold.id, owners=[hold.held_by_id], clinics=[hold.clinic_id])


async def create_hold(
    session: AsyncSession,
    actor: Actor,
    *,
    clinic_id: uuid.UUID,
    veterinarian_id: uuid.UUID,
    pet_id: uuid.UUID,
    service_type: ServiceType,
    starts_at: datetime,
    policy: SchedulingPolicy | None = None,
    now: datetime | None = None,
) -> AppointmentHold:
    """Hold a slot for ``policy.hold_minutes``; conflicts like a booking when it is taken."""
    policy = policy or SchedulingPolicy()
    now = ensure_aware(now, field="now") if now is not None else utcnow()
    starts_at = ensure_aware(starts_at, field="starts_at")
    owners = await pet_owner_ids(session, pet_id)
    authorize(
        actor,
        Action.APPOINTMENT_BOOK,
        appointment_resource(None, clinic_id=clinic_id, owners=owners),
    )
    if actor.user_id is None:
        raise BusinessRuleException("holds are made on behalf of a user", code="HOLD_REQUIRES_USER")
    if not now + policy.min_notice <= starts_at < now + policy.max_horizon:
        # Too soon or too far (or off the calendar): not a time this veterinarian takes.
        raise BusinessRuleException(
            "The veterinarian does not take appointments at that time", code=OUTSIDE_AVAILABILITY
        )
    await session.execute(select(func.pg_advisory_xact_lock(_lock_key(veterinarian_id))))
    ends_at, verdict = await check_interval(
        session,
        clinic_id=clinic_id,
        veterinarian_id=veterinarian_id,
        starts_at=starts_at,
        ends_at=None,
        service_type=service_type,
        policy=policy,
        now=now,
    )
    if not verdict.within_hours:
        raise BusinessRuleException(
            "The veterinarian does not take appointments at that time", code=OUTSIDE_AVAILABILITY
        )
    if verdict.collides:
        request = BookingRequest(
            pet_id=pet_id,
            veterinarian_id=veterinarian_id,
            clinic_id=clinic_id,
            service_type=service_type,
            starts_at=starts_at,
        )
        raise await overlap_conflict(session, request, policy=policy, now=now)
    hold = AppointmentHold(
        veterinarian_id=veterinarian_id,
        clinic_id=clinic_id,
        held_by_id=actor.user_id,
        pet_id=pet_id,
        starts_at=starts_at,
        ends_at=ends_at,
        # The row's created_at is the transaction's clock; expiry must lie after it.
        expires_at=max(now, utcnow()) + policy.hold_duration,
        status=HoldStatus.ACTIVE,
    )
    session.add(hold)
    await session.flush()
    return hold


async def _live_hold(
    session: AsyncSession, actor: Actor, hold_id: uuid.UUID, now: datetime
) -> AppointmentHold:
    hold = await session.get(AppointmentHold, hold_id)
    if hold is None:
        raise NotFoundException("Hold not found", code="HOLD_NOT_FOUND")
    authorize(actor, Action.APPOINTMENT_BOOK, _hold_resource(hold))
    if hold.status is not HoldStatus.ACTIVE or hold.expires_at <= now:
        raise ConflictException("This hold has expired or was already used", code=HOLD_NOT_ACTIVE)
    return hold


async def _finish_hold(
    session: AsyncSession,
    hold_id: uuid.UUID,
    status: HoldStatus,
    now: datetime,
    appointment_id: uuid.UUID | None = None,
) -> None:
    """Compare-and-set the hold from active to ``status``; a lost race is a conflict."""
    finished = await session.execute(
        update(AppointmentHold)
        .where(
            AppointmentHold.id == hold_id,
            AppointmentHold.status == HoldStatus.ACTIVE,
            AppointmentHold.expires_at > now,
        )
        .values(status=status, appointment_id=appointment_id)
        .returning(AppointmentHold.id)
        .execution_options(synchronize_session="fetch")
    )
    if finished.scalar_one_or_none() is None:
        raise ConflictException("This hold has expired or was already used", code=HOLD_NOT_ACTIVE)


async def release_hold(
    session: AsyncSession, actor: Actor, hold_id: uuid.UUID, *, now: datetime | None = None
) -> None:
    """Give a held slot back before it expires (the holder or the clinic's staff)."""
    now = ensure_aware(now, field="now") if now is not None else utcnow()
    await _live_hold(session, actor, hold_id, now)
    await _finish_hold(session, hold_id, HoldStatus.RELEASED, now)


async def convert_hold(
    session: AsyncSession,
    actor: Actor,
    hold_id: uuid.UUID,
    *,
    service_type: ServiceType,
    reason: str | None = None,
    notes: str | None = None,
    idempotency_key: str | None = None,
    policy: SchedulingPolicy | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book the held slot through the ordinary booking path and mark the hold converted.

    The hold fixes the interval; ``service_type`` only labels the appointment.
    """
    now = ensure_aware(now, field="now") if now is not None else utcnow()
    hold = await _live_hold(session, actor, hold_id, now)
    if hold.pet_id is None:
        raise ConflictException("This hold is not for a pet", code=HOLD_MISMATCH)
    request = BookingRequest(
        pet_id=hold.pet_id,
        veterinarian_id=hold.veterinarian_id,
        clinic_id=hold.clinic_id,
        service_type=service_type,
        starts_at=hold.starts_at,
        ends_at=hold.ends_at,
        reason=reason,
        notes=notes,
        idempotency_key=idempotency_key,
    )
    appointment = await book_appointment(
        session, actor, request, policy=policy, now=now, exclude_hold_id=hold.id
    )
    await _finish_hold(session, hold.id, HoldStatus.CONVERTED, now, appointment.id)
    return appointment


async def expire_holds(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Mark every active hold past its expiry ``expired``; returns how many (a periodic job)."""
    now = ensure_aware(now, field="now") if now is not None else utcnow()
    result = await session.execute(
        update(AppointmentHold)
        .where(AppointmentHold.status == HoldStatus.ACTIVE, AppointmentHold.expires_at <= now)
        .values(status=HoldStatus.EXPIRED)
        .returning(AppointmentHold.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


__all__ = ["HOLD_NOT_ACTIVE", "convert_hold", "create_hold", "expire_holds", "release_hold"]
