"""Changing an appointment without moving it: the reason, the notes, and the staff's fields.

Moving it (another time or veterinarian) is :func:`vet_services.scheduling.lifecycle.reschedule`;
its status is :func:`~vet_services.scheduling.lifecycle.transition`. What may change here:

* ``reason`` and ``notes`` (seen by owner and staff): whoever may book for the pet (its current
  owners, whoever booked it, front-desk and clinical staff of the clinic), while the appointment
  is still to happen; staff may also correct them afterwards;
* ``priority``, ``price`` and ``currency``: staff who run the clinic's appointments
  (``appointment:manage``); ``internal_notes``: staff who may read them.

A caller who may not see the appointment gets 404; one who sees it but sends a field their role
may not change gets 403 naming the fields, and nothing is changed.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import ConflictException, PermissionDeniedException
from vet_core.models import Appointment
from vet_core.models.enums import AppointmentStatus, AuditAction
from vet_core.schemas.scheduling import AppointmentUpdate
from vet_services.audit import record_change, snapshot
from vet_services.auth.permissions import Action, Actor
from vet_services.scheduling.lifecycle import load_for

S = AppointmentStatus

#: Appointments that have happened or will not: owners no longer edit them.
FINISHED = frozenset({S.COMPLETED, S.CANCELLED, S.NO_SHOW})

#: The action each field needs on the appointment.
FIELD_ACTIONS: dict[str, Action] = {
    "reason": Action.APPOINTMENT_BOOK,
    "notes": Action.APPOINTMENT_BOOK,
    "priority": Action.APPOINTMENT_MANAGE,
    "price": Action.APPOINTMENT_MANAGE,
    "currency": Action.APPOINTMENT_MANAGE,
    "internal_notes": Action.APPOINTMENT_INTERNAL_NOTES,
}

NOT_EDITABLE = "APPOINTMENT_NOT_EDITABLE"


async def update_appointment(
    session: AsyncSession, actor: Actor, appointment_id: uuid.UUID, data: AppointmentUpdate
) -> Appointment:
    """Apply the fields of ``data`` (an :class:`AppointmentUpdate` or its staff variant).

    Raises ``APPOINTMENT_NOT_FOUND`` (404) when the caller may not see the appointment,
    ``PERMISSION_DENIED`` (403) for fields their role may not change, and
    ``APPOINTMENT_NOT_EDITABLE`` (409) when an owner edits a finished appointment.
    """
    appointment, resource = await load_for(session, actor, appointment_id, Action.APPOINTMENT_READ)
    changes = data.changes()
    allowed = actor.allowed_actions(resource)
    refused = sorted(
        name
        for name in changes
        if FIELD_ACTIONS.get(name, Action.APPOINTMENT_MANAGE) not in allowed
    )
    if refused:
        raise PermissionDeniedException(
            f"Your role may not change {', '.join(refused)} of this appointment",
            details={"fields": refused},
        )
    if appointment.status in FINISHED and Action.APPOINTMENT_MANAGE not in allowed:
        raise ConflictException(
            f"A {appointment.status.value} appointment can no longer be changed online",
            details={"status": appointment.status.value},
            code=NOT_EDITABLE,
        )
    before = snapshot(appointment, changes)
    for name, value in changes.items():
        setattr(appointment, name, value)
    appointment.updated_by = actor.user_id
    await session.flush()
    await record_change(
        session,
        actor,
        AuditAction.UPDATE,
        "appointment",
        appointment.id,
        before=before,
        after=snapshot(appointment, changes),
    )
    return appointment


__all__ = ["FIELD_ACTIONS", "FINISHED", "NOT_EDITABLE", "update_appointment"]
