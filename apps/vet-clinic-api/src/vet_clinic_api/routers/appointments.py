"""``/appointments``: list and book, read and edit one, move it through its lifecycle, hold slots.

Owners get :class:`AppointmentResponse`; staff of the appointment's clinic (those who may read
internal notes) get :class:`AppointmentStaffResponse`. An appointment the caller may not see is a
404 on every route; one they see but may not change is a 403. A taken slot or a stale state is a
409 whose ``details`` carry the service's explanation (e.g. ``alternatives``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from vet_clinic_api.deps import ActorDep, CallerDep, SessionDep
from vet_clinic_api.errors import responses
from vet_clinic_api.idempotency import IdempotencyKey, idempotent
from vet_clinic_api.pagination import PageDep
from vet_core.exceptions import SchemaValidationException
from vet_core.models import Appointment
from vet_core.models.enums import AppointmentStatus
from vet_core.schemas.base import AwareDatetime, InputSchema, LongText
from vet_core.schemas.scheduling import (
    AppointmentCreate,
    AppointmentHoldBook,
    AppointmentHoldCreate,
    AppointmentHoldResponse,
    AppointmentResponse,
    AppointmentStaffResponse,
    AppointmentStaffUpdate,
)
from vet_services.auth.permissions import Action, Actor
from vet_services.pagination import PageRequest
from vet_services.scheduling import booking, holds, lifecycle, queries, updates
from vet_services.scheduling.access import appointment_resource

router = APIRouter(prefix="/appointments", tags=["appointments"], responses=responses())

S = AppointmentStatus
#: Either shape, staff first so that a staff view is never narrowed to the owner's.
AppointmentOut = AppointmentStaffResponse | AppointmentResponse

#: Instants outside these years are refused before reaching date arithmetic in the services.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


class AppointmentPage(BaseModel):
    """A page of appointments; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[AppointmentOut]
    next_cursor: str | None = None
    limit: int


class TransitionRequest(InputSchema):
    """Optional guard: apply the action only if the appointment is still in this status."""

    expected_status: AppointmentStatus | None = None


class CancelRequest(TransitionRequest):
    reason: LongText | None = None


class RescheduleRequest(InputSchema):
    """Move the appointment (same length) to ``starts_at``, optionally to another veterinarian."""

    starts_at: AwareDatetime
    veterinarian_id: uuid.UUID | None = None


class HoldBookingRequest(AppointmentHoldBook):
    """What an idempotent hold booking is keyed on: the hold and the body."""

    hold_id: uuid.UUID


def check_instant(value: datetime, field: str) -> datetime:
    """Refuse instants far outside any calendar a clinic keeps (422 naming the field)."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise SchemaValidationException(
            f"{field} must lie between the years {EARLIEST_YEAR} and {LATEST_YEAR}",
            details={"field": field},
        )
    return value


def shaped(actor: Actor, appointment: Appointment) -> AppointmentResponse:
    """The staff view for those who may read internal notes at its clinic, else the owner's."""
    clinic_only = appointment_resource(
        appointment.id, clinic_id=appointment.clinic_id, owners=frozenset()
    )
    if Action.APPOINTMENT_INTERNAL_NOTES in actor.allowed_actions(clinic_only):
        return AppointmentStaffResponse.model_validate(appointment)
    return AppointmentResponse.model_validate(appointment)


@router.get("", response_model=AppointmentPage)
async def list_appointments(
    actor: ActorDep,
    session: SessionDep,
    page: PageDep,
    statuses: Annotated[
        list[AppointmentStatus] | None,
        Query(alias="status", max_length=len(AppointmentStatus), description="any of these"),
    ] = None,
    starts_from: Annotated[AwareDatetime | None, Query(description="starts at or after")] = None,
    starts_before: Annotated[AwareDatetime | None, Query(description="starts before")] = None,
    pet_id: uuid.UUID | None = None,
    clinic_id: uuid.UUID | None = None,
    veterinarian_id: uuid.UUID | None = None,
) -> AppointmentPage:
    """Appointments the caller may see (their pets', or their clinics'), newest booking first."""
    result = await queries.list_appointments(
        session,
        actor,
        queries.AppointmentFilters(
            statuses=tuple(statuses or ()),
            starts_from=starts_from,
            starts_before=starts_before,
            pet_id=pet_id,
            clinic_id=clinic_id,
            veterinarian_id=veterinarian_id,
        ),
        PageRequest(limit=page.limit, cursor=page.cursor),
    )
    return AppointmentPage(
        items=[shaped(actor, row) for row in result.items],
        next_cursor=result.next_cursor,
        limit=result.limit,
    )


@router.post(
    "",
    response_model=AppointmentOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def book(
    body: AppointmentCreate,
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Book a slot (``ends_at`` omitted: the service type's usual length). A held slot is
    booked with ``POST /appointments/holds/{hold_id}/book``.

    ``Idempotency-Key`` (or ``idempotency_key`` in the body) makes retries book once: a replay
    returns the first response with ``Idempotent-Replayed: true``. A taken slot is a 409
    ``APPOINTMENT_OVERLAP`` offering ``details.alternatives``.
    """
    key = idempotency_key or body.idempotency_key
    actor = caller.actor

    async def run() -> tuple[int, Any]:
        appointment = await booking.book_appointment(
            session,
            actor,
            booking.BookingRequest(
                pet_id=body.pet_id,
                veterinarian_id=body.veterinarian_id,
                clinic_id=body.clinic_id,
                service_type=body.service_type,
                starts_at=check_instant(body.starts_at, "starts_at"),
                ends_at=body.ends_at,
                priority=body.priority,
                reason=body.reason,
                notes=body.notes,
                idempotency_key=key,
            ),
        )
        return status.HTTP_201_CREATED, shaped(actor, appointment).model_dump(mode="json")

    return await idempotent(request, caller, key, body, run)


@router.post(
    "/holds",
    response_model=AppointmentHoldResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def create_hold(
    body: AppointmentHoldCreate, actor: ActorDep, session: SessionDep
) -> AppointmentHoldResponse:
    """Hold a slot for the clinic's hold time (10 minutes by default); book it with
    ``POST /appointments/holds/{hold_id}/book``."""
    hold = await holds.create_hold(
        session,
        actor,
        clinic_id=body.clinic_id,
        veterinarian_id=body.veterinarian_id,
        pet_id=body.pet_id,
        service_type=body.service_type,
        starts_at=check_instant(body.starts_at, "starts_at"),
    )
    return AppointmentHoldResponse.model_validate(hold)


@router.post(
    "/holds/{hold_id}/book",
    response_model=AppointmentOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def book_hold(
    hold_id: uuid.UUID,
    body: AppointmentHoldBook,
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Book the slot held by ``hold_id`` (its clinic, veterinarian, pet and time); the hold is
    used up. ``Idempotency-Key`` (or ``idempotency_key``) makes retries book once."""
    key = idempotency_key or body.idempotency_key
    actor = caller.actor

    async def run() -> tuple[int, Any]:
        appointment = await holds.convert_hold(
            session,
            actor,
            hold_id,
            service_type=body.service_type,
            reason=body.reason,
            notes=body.notes,
            idempotency_key=key,
        )
        return status.HTTP_201_CREATED, shaped(actor, appointment).model_dump(mode="json")

    fingerprint = HoldBookingRequest(hold_id=hold_id, **body.model_dump())
    return await idempotent(request, caller, key, fingerprint, run)


@router.delete("/holds/{hold_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(409))
async def release_hold(hold_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> Response:
    """Give a held slot back before it lapses (409 when it already lapsed or was used)."""
    await holds.release_hold(session, actor, hold_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{appointment_id}", response_model=AppointmentOut)
async def get_appointment(
    appointment_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> AppointmentResponse:
    """One appointment; staff of its clinic also see the internal notes."""
    return shaped(actor, await queries.get_appointment(session, actor, appointment_id))


@router.patch("/{appointment_id}", response_model=AppointmentOut, responses=responses(409))
async def update_appointment(
    appointment_id: uuid.UUID, body: AppointmentStaffUpdate, actor: ActorDep, session: SessionDep
) -> AppointmentResponse:
    """Change the reason or notes (owners and staff, while it is still to happen) or the
    staff-only ``priority``, ``internal_notes``, ``price`` and ``currency`` (403 for others).

    Moving it is ``POST /appointments/{id}/reschedule``; a finished appointment is 409
    ``APPOINTMENT_NOT_EDITABLE`` for owners.
    """
    appointment = await updates.update_appointment(session, actor, appointment_id, body)
    return shaped(actor, appointment)


@router.post(
    "/{appointment_id}/reschedule",
    response_model=AppointmentOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def reschedule(
    appointment_id: uuid.UUID, body: RescheduleRequest, actor: ActorDep, session: SessionDep
) -> AppointmentResponse:
    """Move the appointment: it is cancelled and its successor (returned) booked, atomically."""
    appointment = await lifecycle.reschedule(
        session,
        actor,
        appointment_id,
        starts_at=check_instant(body.starts_at, "starts_at"),
        veterinarian_id=body.veterinarian_id,
    )
    return shaped(actor, appointment)


OptionalTransition = Annotated[TransitionRequest | None, Body()]


async def _move(
    session: AsyncSession,
    actor: Actor,
    appointment_id: uuid.UUID,
    target: AppointmentStatus,
    body: TransitionRequest | None,
    reason: str | None = None,
) -> AppointmentResponse:
    appointment = await lifecycle.transition(
        session,
        actor,
        appointment_id,
        target,
        expected=body.expected_status if body is not None else None,
        reason=reason,
    )
    return shaped(actor, appointment)


@router.post("/{appointment_id}/cancel", response_model=AppointmentOut, responses=responses(409))
async def cancel(
    appointment_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    body: Annotated[CancelRequest | None, Body()] = None,
) -> AppointmentResponse:
    """Cancel (owners up to the clinic's cancellation window before the start; staff anytime)."""
    reason = body.reason if body is not None else None
    return await _move(session, actor, appointment_id, S.CANCELLED, body, reason)


@router.post("/{appointment_id}/confirm", response_model=AppointmentOut, responses=responses(409))
async def confirm(
    appointment_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    body: OptionalTransition = None,
) -> AppointmentResponse:
    """Staff confirm a requested or scheduled appointment."""
    return await _move(session, actor, appointment_id, S.CONFIRMED, body)


@router.post("/{appointment_id}/check-in", response_model=AppointmentOut, responses=responses(409))
async def check_in(
    appointment_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    body: OptionalTransition = None,
) -> AppointmentResponse:
    """Staff check the patient in (from confirmed)."""
    return await _move(session, actor, appointment_id, S.CHECKED_IN, body)


@router.post("/{appointment_id}/start", response_model=AppointmentOut, responses=responses(409))
async def start(
    appointment_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    body: OptionalTransition = None,
) -> AppointmentResponse:
    """Staff start the visit (from checked in)."""
    return await _move(session, actor, appointment_id, S.IN_PROGRESS, body)


@router.post("/{appointment_id}/complete", response_model=AppointmentOut, responses=responses(409))
async def complete(
    appointment_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    body: OptionalTransition = None,
) -> AppointmentResponse:
    """Staff complete the visit (from in progress)."""
    return await _move(session, actor, appointment_id, S.COMPLETED, body)


@router.post("/{appointment_id}/no-show", response_model=AppointmentOut, responses=responses(409))
async def no_show(
    appointment_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    body: OptionalTransition = None,
) -> AppointmentResponse:
    """Staff mark that the patient did not come (from scheduled or confirmed)."""
    return await _move(session, actor, appointment_id, S.NO_SHOW, body)


__all__ = ["AppointmentOut", "AppointmentPage", "check_instant", "router", "shaped"]
