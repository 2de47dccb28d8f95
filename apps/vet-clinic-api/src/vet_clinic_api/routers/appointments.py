"""``/appointments``: list and book, read one, move it through its lifecycle, hold slots.

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
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_clinic_api.deps import ActorDep, CallerDep, SessionDep
from vet_clinic_api.errors import responses
from vet_clinic_api.idempotency import IdempotencyKey, idempotent
from vet_clinic_api.pagination import PageDep
from vet_core.exceptions import SchemaValidationException
from vet_core.models import Appointment, Pet, PetOwnership
from vet_core.models.enums import AppointmentStatus, ServiceType
from vet_core.schemas.base import AwareDatetime, InputSchema, LongText
from vet_core.schemas.scheduling import (
    AppointmentCreate,
    AppointmentHoldResponse,
    AppointmentResponse,
    AppointmentStaffResponse,
)
from vet_services.auth.permissions import Action, Actor
from vet_services.pagination import Page, keyset, page_of
from vet_services.scheduling import booking, holds, lifecycle
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


class HoldRequest(InputSchema):
    """Keep a slot for a few minutes while the owner finishes booking."""

    clinic_id: uuid.UUID
    veterinarian_id: uuid.UUID
    pet_id: uuid.UUID
    service_type: ServiceType
    starts_at: AwareDatetime


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


async def _visible_appointments(
    session: AsyncSession,
    actor: Actor,
    *,
    statuses: list[AppointmentStatus] | None,
    starts_from: datetime | None,
    starts_before: datetime | None,
    pet_id: uuid.UUID | None,
    clinic_id: uuid.UUID | None,
    veterinarian_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> Page[Appointment]:
    """The appointments the caller may read, newest booking first.

    Stop-gap: ``vet_services.scheduling`` has no listing function yet; this mirrors
    ``access.appointment_resource`` (current owners of a live pet, the booker, staff with
    ``appointment:read`` at the clinic, platform admins) and belongs in the service layer.
    """
    query = select(Appointment).where(
        Appointment.not_deleted(),
        Appointment.pet_id.in_(select(Pet.id).where(Pet.not_deleted())),
    )
    if not (actor.is_platform_admin and actor.api_key_id is None):
        visible: list[ColumnElement[bool]] = [
            Appointment.clinic_id.in_(actor.staff_clinic_ids(Action.APPOINTMENT_READ))
        ]
        if actor.user_id is not None:
            owned = select(PetOwnership.pet_id).where(
                PetOwnership.user_id == actor.user_id, PetOwnership.ended_at.is_(None)
            )
            visible += [Appointment.booked_by_id == actor.user_id, Appointment.pet_id.in_(owned)]
        query = query.where(or_(*visible))
    if statuses:
        query = query.where(Appointment.status.in_(statuses))
    if starts_from is not None:
        query = query.where(Appointment.starts_at >= starts_from)
    if starts_before is not None:
        query = query.where(Appointment.starts_at < starts_before)
    if pet_id is not None:
        query = query.where(Appointment.pet_id == pet_id)
    if clinic_id is not None:
        query = query.where(Appointment.clinic_id == clinic_id)
    if veterinarian_id is not None:
        query = query.where(Appointment.veterinarian_id == veterinarian_id)
    paged = keyset(query, Appointment.created_at, Appointment.id, cursor=cursor, limit=limit)
    return page_of((await session.scalars(paged)).all(), limit)


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
    result = await _visible_appointments(
        session,
        actor,
        statuses=statuses,
        starts_from=starts_from,
        starts_before=starts_before,
        pet_id=pet_id,
        clinic_id=clinic_id,
        veterinarian_id=veterinarian_id,
        cursor=page.cursor,
        limit=page.limit,
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
    """Book a slot (or convert a checkout hold with ``hold_id``; the hold fixes the time).

    ``Idempotency-Key`` (or ``idempotency_key`` in the body) makes retries book once: a replay
    returns the first response with ``Idempotent-Replayed: true``. A taken slot is a 409
    ``APPOINTMENT_OVERLAP`` offering ``details.alternatives``.
    """
    key = idempotency_key or body.idempotency_key
    actor = caller.actor

    async def run() -> tuple[int, Any]:
        if body.hold_id is not None:
            appointment = await holds.convert_hold(
                session,
                actor,
                body.hold_id,
                service_type=body.service_type,
                reason=body.reason,
                notes=body.notes,
                idempotency_key=key,
            )
        else:
            appointment = await booking.book_appointment(
                session,
                actor,
                booking.BookingRequest(
                    pet_id=body.pet_id,
                    veterinarian_id=body.veterinarian_id,
                    clinic_id=body.clinic_id,
                    service_type=body.service_type,
                    starts_at=body.starts_at,
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
    body: HoldRequest, actor: ActorDep, session: SessionDep
) -> AppointmentHoldResponse:
    """Hold a slot for the clinic's hold time (10 minutes by default); book it with ``hold_id``."""
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
    appointment, _ = await lifecycle.load_for(
        session, actor, appointment_id, Action.APPOINTMENT_READ
    )
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
