"""Booking an appointment: idempotent, and never double-booked however many requests race.

Correctness under concurrency rests on the database: the exclusion constraint
``ex_appointments_veterinarian_overlap`` rejects an overlapping active appointment of the same
veterinarian. The schedule check before the insert only turns the common cases (outside working
hours, an already booked slot) into clear errors; it decides nothing about races. The insert runs
in a SAVEPOINT so that a rejected booking leaves the caller's transaction usable.

Idempotency keys are namespaced by the booking user, so one user's key can neither collide with
nor reveal another user's appointment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.database import constraint_name, sqlstate_of
from vet_core.database.errors import DEADLOCK_DETECTED
from vet_core.exceptions import (
    BusinessRuleException,
    ConflictException,
    PermissionDeniedException,
)
from vet_core.models import Appointment
from vet_core.models.enums import AppointmentPriority, AppointmentStatus, ServiceType
from vet_core.models.scheduling import APPOINTMENT_OVERLAP_CONSTRAINT
from vet_core.utils.time import ensure_aware, utcnow
from vet_services.auth.permissions import Action, Actor, authorize
from vet_services.scheduling.access import appointment_resource, pet_owner_ids
from vet_services.scheduling.availability import Slot, check_interval, veterinarian_slots
from vet_services.scheduling.events import appointment_booked
from vet_services.scheduling.policy import SchedulingPolicy

APPOINTMENT_OVERLAP = "APPOINTMENT_OVERLAP"
IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
OUTSIDE_AVAILABILITY = "APPOINTMENT_OUTSIDE_AVAILABILITY"
IDEMPOTENCY_KEY_CONSTRAINT = "uq_appointments_idempotency_key"
#: Longest client key: the stored value is ``"<user uuid>:<key>"`` in a 128-character column.
MAX_IDEMPOTENCY_KEY_LENGTH = 128 - 37
#: How far ahead alternatives are searched after a conflict.
ALTERNATIVES_SEARCH_DAYS = 14
#: An emergency seen first and booked afterwards may start this long before it is recorded.
EMERGENCY_RECORDED_AFTER = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class BookingRequest:
    """What a caller asks to book. ``ends_at=None`` takes the service's usual length.

    ``priority=EMERGENCY`` may be booked outside working hours and without notice (even up to a
    day after it started, when the visit is recorded afterwards); it still never overlaps
    another appointment, nor lies beyond the booking horizon.
    """

    pet_id: uuid.UUID
    veterinarian_id: uuid.UUID
    clinic_id: uuid.UUID
    service_type: ServiceType
    starts_at: datetime
    ends_at: datetime | None = None
    priority: AppointmentPriority = AppointmentPriority.ROUTINE
    reason: str | None = None
    notes: str | None = None
    idempotency_key: str | None = None


def _slot_details(slots: list[Slot]) -> list[dict[str, Any]]:
    return [
        {
            "veterinarian_id": str(slot.veterinarian_id),
            "starts_at": slot.starts_at.isoformat(),
            "ends_at": slot.ends_at.isoformat(),
        }
        for slot in slots
    ]


async def next_free_slots(
    session: AsyncSession,
    *,
    clinic_id: uuid.UUID,
    veterinarian_id: uuid.UUID,
    after: datetime,
    service_type: ServiceType,
    policy: SchedulingPolicy,
    now: datetime,
) -> list[Slot]:
    """The first ``policy.alternatives_count`` free slots of the veterinarian from ``after`` on."""
    if policy.alternatives_count == 0:
        return []
    first_day = max(after, now).astimezone(after.tzinfo).date() - timedelta(days=1)
    slots = await veterinarian_slots(
        session,
        veterinarian_id=veterinarian_id,
        clinic_id=clinic_id,
        first_day=first_day,
        last_day=first_day + timedelta(days=ALTERNATIVES_SEARCH_DAYS),
        service_type=service_type,
        policy=policy,
        now=now,
    )
    return [slot for slot in slots if slot.starts_at >= after][: policy.alternatives_count]


async def overlap_conflict(
    session: AsyncSession,
    request: BookingRequest,
    *,
    policy: SchedulingPolicy,
    now: datetime,
) -> ConflictException:
    """The conflict for a taken slot, offering the next free alternatives."""
    alternatives = await next_free_slots(
        session,
        clinic_id=request.clinic_id,
        veterinarian_id=request.veterinarian_id,
        after=request.starts_at,
        service_type=request.service_type,
        policy=policy,
        now=now,
    )
    return ConflictException(
        "The veterinarian is already booked at that time",
        code=APPOINTMENT_OVERLAP,
        details={"alternatives": _slot_details(alternatives)},
    )


def _stored_key(actor: Actor, key: str | None) -> str | None:
    if key is None:
        return None
    if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise BusinessRuleException(
            f"idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters",
            code="IDEMPOTENCY_KEY_INVALID",
        )
    return f"{actor.user_id or actor.api_key_id}:{key}"


def _same_booking(appointment: Appointment, request: BookingRequest, ends_at: datetime) -> bool:
    return (
        appointment.pet_id == request.pet_id
        and appointment.veterinarian_id == request.veterinarian_id
        and appointment.clinic_id == request.clinic_id
        and appointment.service_type == request.service_type
        and appointment.starts_at == request.starts_at
        and appointment.ends_at == ends_at
        and appointment.priority == request.priority
        and appointment.reason == request.reason
        and appointment.notes == request.notes
    )


async def _replay(
    session: AsyncSession, stored_key: str, request: BookingRequest, actor: Actor
) -> Appointment | None:
    """The appointment booked earlier under this key, or a conflict when the body differs."""
    existing = (
        await session.scalars(select(Appointment).where(Appointment.idempotency_key == stored_key))
    ).one_or_none()
    if existing is None:
        return None
    ends_at = request.ends_at or existing.ends_at
    if not _same_booking(existing, request, ends_at):
        raise ConflictException(
            "This idempotency key was already used for a different booking",
            code=IDEMPOTENCY_KEY_REUSED,
            details={"appointment_id": str(existing.id)},
        )
    owners = await pet_owner_ids(session, existing.pet_id)
    authorize(
        actor,
        Action.APPOINTMENT_READ,
        appointment_resource(
            existing.id,
            clinic_id=existing.clinic_id,
            owners=owners,
            booked_by_id=existing.booked_by_id,
        ),
    )
    return existing


def _booker_id(actor: Actor) -> uuid.UUID:
    if actor.user_id is None:
        raise PermissionDeniedException(
            "Bookings are made on behalf of a user", code="BOOKING_REQUIRES_USER"
        )
    return actor.user_id


def _check_when(
    starts_at: datetime, now: datetime, policy: SchedulingPolicy, *, emergency: bool
) -> None:
    """Refuse a start too soon (emergencies excepted), too far ahead, or an emergency long past."""
    if emergency and starts_at < now - EMERGENCY_RECORDED_AFTER:
        raise BusinessRuleException(
            "an emergency can be recorded at most a day after it started",
            code="APPOINTMENT_TOO_FAR_IN_THE_PAST",
            details={"max_hours_ago": int(EMERGENCY_RECORDED_AFTER.total_seconds() // 3600)},
        )
    if not emergency and starts_at < now + policy.min_notice:
        raise BusinessRuleException(
            f"appointments must be booked at least {policy.min_notice_minutes} minutes ahead",
            code="APPOINTMENT_NOTICE_TOO_SHORT",
            details={"min_notice_minutes": policy.min_notice_minutes},
        )
    if starts_at >= now + policy.max_horizon:
        raise BusinessRuleException(
            f"appointments can be booked at most {policy.max_horizon_days} days ahead",
            code="APPOINTMENT_BEYOND_HORIZON",
            details={"max_horizon_days": policy.max_horizon_days},
        )


async def book_appointment(
    session: AsyncSession,
    actor: Actor,
    request: BookingRequest,
    *,
    policy: SchedulingPolicy | None = None,
    now: datetime | None = None,
    rescheduled_from_id: uuid.UUID | None = None,
    exclude_hold_id: uuid.UUID | None = None,
) -> Appointment:
    """Book ``request`` for ``actor`` and flush it (the caller commits).

    Raises :class:`ConflictException` ``APPOINTMENT_OVERLAP`` (with ``details["alternatives"]``)
    when the veterinarian is taken, ``IDEMPOTENCY_KEY_REUSED`` when the key was used for another
    body, and :class:`BusinessRuleException` ``APPOINTMENT_OUTSIDE_AVAILABILITY`` (or a notice or
    horizon code) when the time is not bookable. The same key with the same body returns the
    appointment booked the first time, unchanged.

    A new booking enqueues its confirmation and reminders (:mod:`.events`) in the same
    transaction.
    """
    policy = policy or SchedulingPolicy()
    now = ensure_aware(now, field="now") if now is not None else utcnow()
    request_start = ensure_aware(request.starts_at, field="starts_at")
    booker_id = _booker_id(actor)
    owners = await pet_owner_ids(session, request.pet_id)
    resource = appointment_resource(None, clinic_id=request.clinic_id, owners=owners)
    authorize(actor, Action.APPOINTMENT_BOOK, resource)
    is_staff = Action.APPOINTMENT_MANAGE in actor.allowed_actions(resource)

    stored_key = _stored_key(actor, request.idempotency_key)
    if stored_key is not None:
        replayed = await _replay(session, stored_key, request, actor)
        if replayed is not None:
            return replayed

    emergency = request.priority is AppointmentPriority.EMERGENCY
    _check_when(request_start, now, policy, emergency=emergency)
    ends_at, verdict = await check_interval(
        session,
        clinic_id=request.clinic_id,
        veterinarian_id=request.veterinarian_id,
        starts_at=request_start,
        ends_at=request.ends_at,
        service_type=request.service_type,
        policy=policy,
        now=now,
        emergency=emergency,
        exclude_hold_id=exclude_hold_id,
    )
    if ends_at <= request_start:
        raise BusinessRuleException(
            "an appointment must end after it starts", code="ENDS_BEFORE_STARTS"
        )
    if not verdict.within_hours:
        raise BusinessRuleException(
            "The veterinarian does not take appointments at that time",
            code=OUTSIDE_AVAILABILITY,
        )
    if verdict.collides:
        raise await overlap_conflict(session, request, policy=policy, now=now)

    status = (
        AppointmentStatus.REQUESTED
        if policy.owner_bookings_need_approval and not is_staff
        else AppointmentStatus.SCHEDULED
    )
    appointment = Appointment(
        pet_id=request.pet_id,
        booked_by_id=booker_id,
        veterinarian_id=request.veterinarian_id,
        clinic_id=request.clinic_id,
        service_type=request.service_type,
        status=status,
        priority=request.priority,
        starts_at=request_start,
        ends_at=ends_at,
        reason=request.reason,
        notes=request.notes,
        idempotency_key=stored_key,
        rescheduled_from_id=rescheduled_from_id,
        created_by=booker_id,
        updated_by=booker_id,
    )
    try:
        async with session.begin_nested():
            session.add(appointment)
            await session.flush()
    except IntegrityError as error:
        name = constraint_name(error)
        if name == APPOINTMENT_OVERLAP_CONSTRAINT:
            raise await overlap_conflict(session, request, policy=policy, now=now) from error
        if name == IDEMPOTENCY_KEY_CONSTRAINT and stored_key is not None:
            # A concurrent request with the same key won the race: answer as a replay.
            replayed = await _replay(session, stored_key, request, actor)
            if replayed is not None:
                return replayed
        raise
    except DBAPIError as error:
        if sqlstate_of(error) != DEADLOCK_DETECTED:
            raise
        # Two overlapping bookings inserted at the same instant and each waited for the other's
        # exclusion check; PostgreSQL failed this one (only the savepoint is lost): the other
        # one has the slot.
        raise await overlap_conflict(session, request, policy=policy, now=now) from error
    await appointment_booked(session, appointment)
    return appointment


__all__ = [
    "APPOINTMENT_OVERLAP",
    "IDEMPOTENCY_KEY_REUSED",
    "OUTSIDE_AVAILABILITY",
    "BookingRequest",
    "book_appointment",
    "constraint_name",
    "next_free_slots",
    "overlap_conflict",
]
