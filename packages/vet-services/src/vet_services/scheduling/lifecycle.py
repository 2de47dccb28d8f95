"""The appointment state machine, moved only by compare-and-set updates.

Every transition is one ``UPDATE … WHERE id = :id AND status = :expected RETURNING``. Two staff
members clicking "check in" at once both read ``confirmed``; the first update wins, the second
blocks on the row lock, then finds the status changed and matches nothing, so its caller gets
``APPOINTMENT_STATE_CHANGED`` instead of silently applying a transition twice.

Rescheduling cancels the old appointment and books a new one pointing back at it
(``rescheduled_from_id``) inside one SAVEPOINT: both happen or neither does, and the history of
moves stays readable.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import (
    BusinessRuleException,
    ConflictException,
    NotFoundException,
    VetCoreException,
)
from vet_core.models import Appointment
from vet_core.models.enums import AppointmentStatus
from vet_core.utils.time import ensure_aware, utcnow
from vet_services.auth.permissions import Action, Actor, Resource, authorize
from vet_services.scheduling.access import appointment_resource, pet_owner_ids
from vet_services.scheduling.booking import BookingRequest, book_appointment
from vet_services.scheduling.events import slot_freed
from vet_services.scheduling.policy import SchedulingPolicy

TRANSITION_INVALID = "APPOINTMENT_TRANSITION_INVALID"
STATE_CHANGED = "APPOINTMENT_STATE_CHANGED"
CANCELLATION_WINDOW_PASSED = "CANCELLATION_WINDOW_PASSED"

S = AppointmentStatus

#: Where each status may go. Terminal statuses (completed, cancelled, no-show) go nowhere.
TRANSITIONS: Mapping[AppointmentStatus, frozenset[AppointmentStatus]] = {
    S.REQUESTED: frozenset({S.SCHEDULED, S.CONFIRMED, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.CONFIRMED, S.CANCELLED, S.NO_SHOW}),
    S.CONFIRMED: frozenset({S.CHECKED_IN, S.CANCELLED, S.NO_SHOW}),
    S.CHECKED_IN: frozenset({S.IN_PROGRESS}),
    S.IN_PROGRESS: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.NO_SHOW: frozenset(),
}

#: Statuses from which an appointment may be moved to another time.
RESCHEDULABLE = frozenset({S.REQUESTED, S.SCHEDULED, S.CONFIRMED})
#: Transitions after which the slot is free again and is offered to the waitlist.
FREES_SLOT = frozenset({S.CANCELLED, S.NO_SHOW})


def action_for(target: AppointmentStatus) -> Action:
    """The permission a transition to ``target`` needs: owners may cancel, only staff manage."""
    return Action.APPOINTMENT_CANCEL if target is S.CANCELLED else Action.APPOINTMENT_MANAGE


def check_transition(current: AppointmentStatus, target: AppointmentStatus) -> None:
    """Raise ``APPOINTMENT_TRANSITION_INVALID`` unless ``current → target`` is in the table."""
    if target not in TRANSITIONS[current]:
        raise ConflictException(
            f"An appointment that is {current.value} cannot become {target.value}",
            code=TRANSITION_INVALID,
            details={"from": current.value, "to": target.value},
        )


async def load_for(
    session: AsyncSession, actor: Actor, appointment_id: uuid.UUID, action: Action
) -> tuple[Appointment, Resource]:
    """The appointment and its access-control resource, after ``authorize(actor, action, …)``."""
    appointment = (
        await session.scalars(
            select(Appointment).where(Appointment.id == appointment_id, Appointment.not_deleted())
        )
    ).one_or_none()
    if appointment is None:
        raise NotFoundException("Appointment not found", code="APPOINTMENT_NOT_FOUND")
    owners = await pet_owner_ids(session, appointment.pet_id)
    resource = appointment_resource(
        appointment.id,
        clinic_id=appointment.clinic_id,
        owners=owners,
        booked_by_id=appointment.booked_by_id,
    )
    authorize(actor, action, resource)
    return appointment, resource


def _check_cancellation_window(
    actor: Actor,
    resource: Resource,
    appointment: Appointment,
    policy: SchedulingPolicy,
    now: datetime,
) -> None:
    """Owners cancel or move only up to the clinic's window before the start; staff always may."""
    if Action.APPOINTMENT_MANAGE in actor.allowed_actions(resource):
        return
    if now > appointment.starts_at - policy.cancellation_window:
        raise BusinessRuleException(
            f"Appointments can be changed online up to {policy.cancellation_window_hours} hours "
            "before they start; please call the clinic",
            code=CANCELLATION_WINDOW_PASSED,
            details={"cancellation_window_hours": policy.cancellation_window_hours},
        )


def _stamps(
    target: AppointmentStatus, actor: Actor, now: datetime, reason: str | None
) -> dict[str, Any]:
    values: dict[str, Any] = {"status": target, "updated_by": actor.user_id}
    if target is S.CHECKED_IN:
        values["checked_in_at"] = now
    elif target is S.IN_PROGRESS:
        values["started_at"] = now
    elif target is S.COMPLETED:
        values["completed_at"] = now
    elif target is S.CANCELLED:
        values |= {
            "cancelled_at": now,
            "cancellation_reason": reason,
            "cancelled_by_id": actor.user_id,
        }
    return values


async def compare_and_set(
    session: AsyncSession,
    appointment_id: uuid.UUID,
    expected: AppointmentStatus,
    values: Mapping[str, Any],
) -> Appointment:
    """``UPDATE … WHERE id AND status = expected RETURNING``; a miss is ``APPOINTMENT_STATE_CHANGED``."""
    statement = (
        update(Appointment)
        .where(
            Appointment.id == appointment_id,
            Appointment.status == expected,
            Appointment.deleted_at.is_(None),
        )
        .values(**values, version=Appointment.version + 1)
        .returning(Appointment)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    updated = (await session.scalars(statement)).one_or_none()
    if updated is None:
        raise ConflictException(
            "The appointment was changed by someone else; reload and try again",
            code=STATE_CHANGED,
            details={"expected": expected.value},
        )
    return updated


async def transition(
    session: AsyncSession,
    actor: Actor,
    appointment_id: uuid.UUID,
    target: AppointmentStatus,
    *,
    expected: AppointmentStatus | None = None,
    reason: str | None = None,
    policy: SchedulingPolicy | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Move an appointment to ``target`` (confirm, check in, start, complete, cancel, no-show).

    ``expected`` is the status the caller saw (e.g. on screen); when given, the update applies
    only if the appointment is still in it. Without it, the status just read is expected, which
    still makes two concurrent transitions from the same state exclusive.
    """
    policy = policy or SchedulingPolicy()
    now = ensure_aware(now, field="now") if now is not None else utcnow()
    appointment, resource = await load_for(session, actor, appointment_id, action_for(target))
    current = appointment.status
    if expected is not None and expected is not current:
        raise ConflictException(
            "The appointment was changed by someone else; reload and try again",
            code=STATE_CHANGED,
            details={"expected": expected.value, "current": current.value},
        )
    check_transition(current, target)
    if target is S.CANCELLED:
        _check_cancellation_window(actor, resource, appointment, policy, now)
    changed = await compare_and_set(
        session, appointment_id, current, _stamps(target, actor, now, reason)
    )
    if target in FREES_SLOT:
        await slot_freed(session, changed)
    return changed


async def confirm(
    session: AsyncSession, actor: Actor, appointment_id: uuid.UUID, *, now: datetime | None = None
) -> Appointment:
    """Staff confirm a requested or scheduled appointment."""
    return await transition(session, actor, appointment_id, S.CONFIRMED, now=now)


async def cancel(
    session: AsyncSession,
    actor: Actor,
    appointment_id: uuid.UUID,
    *,
    reason: str | None = None,
    policy: SchedulingPolicy | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Cancel; owners only outside the clinic's cancellation window, staff at any time.

    The freed slot is offered to the waitlist by a job enqueued in the same transaction
    (:func:`vet_services.scheduling.events.slot_freed`).
    """
    return await transition(
        session, actor, appointment_id, S.CANCELLED, reason=reason, policy=policy, now=now
    )


async def reschedule(
    session: AsyncSession,
    actor: Actor,
    appointment_id: uuid.UUID,
    *,
    starts_at: datetime,
    veterinarian_id: uuid.UUID | None = None,
    idempotency_key: str | None = None,
    policy: SchedulingPolicy | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Move an appointment: cancel it and book its successor atomically; returns the new one.

    The new appointment keeps pet, clinic, service and length (and the veterinarian unless
    another is given) and points back through ``rescheduled_from_id``. If the new time is taken
    the conflict (with alternatives) is raised and the old appointment stays as it was.
    """
    policy = policy or SchedulingPolicy()
    now = ensure_aware(now, field="now") if now is not None else utcnow()
    old, resource = await load_for(session, actor, appointment_id, Action.APPOINTMENT_RESCHEDULE)
    if old.status not in RESCHEDULABLE:
        raise ConflictException(
            f"An appointment that is {old.status.value} cannot be rescheduled",
            code=TRANSITION_INVALID,
            details={"from": old.status.value, "to": "rescheduled"},
        )
    _check_cancellation_window(actor, resource, old, policy, now)
    request = BookingRequest(
        pet_id=old.pet_id,
        veterinarian_id=veterinarian_id or old.veterinarian_id,
        clinic_id=old.clinic_id,
        service_type=old.service_type,
        starts_at=ensure_aware(starts_at, field="starts_at"),
        ends_at=ensure_aware(starts_at, field="starts_at") + (old.ends_at - old.starts_at),
        priority=old.priority,
        reason=old.reason,
        notes=old.notes,
        idempotency_key=idempotency_key,
    )
    try:
        async with session.begin_nested():
            cancelled = await compare_and_set(
                session, old.id, old.status, _stamps(S.CANCELLED, actor, now, "rescheduled")
            )
            successor = await book_appointment(
                session, actor, request, policy=policy, now=now, rescheduled_from_id=old.id
            )
            await slot_freed(session, cancelled)
            return successor
    except VetCoreException:
        # The savepoint undid the cancellation; drop the cancelled values loaded into ``old``.
        await session.refresh(old)
        raise


async def reschedule_history(
    session: AsyncSession, actor: Actor, appointment_id: uuid.UUID
) -> list[Appointment]:
    """The chain of moves ending at ``appointment_id``, oldest first."""
    current, _ = await load_for(session, actor, appointment_id, Action.APPOINTMENT_READ)
    chain = [current]
    while chain[-1].rescheduled_from_id is not None:
        previous = await session.get(Appointment, chain[-1].rescheduled_from_id)
        if previous is None:
            break
        chain.append(previous)
    chain.reverse()
    return chain


__all__ = [
    "CANCELLATION_WINDOW_PASSED",
    "RESCHEDULABLE",
    "STATE_CHANGED",
    "TRANSITIONS",
    "TRANSITION_INVALID",
    "action_for",
    "cancel",
    "check_transition",
    "compare_and_set",
    "confirm",
    "reschedule",
    "reschedule_history",
    "transition",
]
