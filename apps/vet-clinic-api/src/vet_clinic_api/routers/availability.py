"""Free slots and day/week calendars: ``/veterinarians/{id}/…`` and ``/clinics/{id}/…``.

Slots reveal only that time is free (any signed-in caller); calendars show who comes when, so
they are for the clinic's staff. Both are heavy reads served from the read session. Days are the
clinic's local days; ``start``/``end`` are inclusive.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from vet_clinic_api.deps import ActorDep, ReadSessionDep
from vet_clinic_api.errors import responses
from vet_clinic_api.routers.appointments import EARLIEST_YEAR, LATEST_YEAR
from vet_core.exceptions import SchemaValidationException
from vet_core.models.enums import AppointmentPriority, AppointmentStatus, ServiceType
from vet_services.auth.permissions import Actor
from vet_services.scheduling import (
    Calendar,
    Slot,
    clinic_slots,
    day_view,
    veterinarian_slots,
    week_view,
)
from vet_services.scheduling.availability import MAX_RANGE_DAYS

router = APIRouter(tags=["availability"], responses=responses())


class CalendarView(StrEnum):
    DAY = "day"
    WEEK = "week"


class SlotResponse(BaseModel):
    """A bookable interval with one veterinarian (UTC instants)."""

    veterinarian_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime


class CalendarEntryResponse(BaseModel):
    appointment_id: uuid.UUID
    veterinarian_id: uuid.UUID
    pet_id: uuid.UUID
    service_type: ServiceType
    status: AppointmentStatus
    priority: AppointmentPriority
    starts_at: datetime
    ends_at: datetime


class CalendarDayResponse(BaseModel):
    day: date
    entries: list[CalendarEntryResponse]


class CalendarResponse(BaseModel):
    """Consecutive local days of a clinic (or one veterinarian there), times in its zone."""

    clinic_id: uuid.UUID
    timezone: str
    veterinarian_id: uuid.UUID | None
    days: list[CalendarDayResponse]


StartDay = Annotated[date, Query(description="first local day")]
EndDay = Annotated[
    date, Query(description=f"last local day (inclusive; at most {MAX_RANGE_DAYS} days)")
]
Service = Annotated[ServiceType, Query(description="decides the slot length")]
Day = Annotated[date, Query(alias="date", description="a local day; a week view shows its week")]


def _check_day(value: date, field: str) -> date:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise SchemaValidationException(
            f"{field} must lie between the years {EARLIEST_YEAR} and {LATEST_YEAR}",
            details={"field": field},
        )
    return value


def _slots(slots: list[Slot]) -> list[SlotResponse]:
    return [
        SlotResponse(veterinarian_id=s.veterinarian_id, starts_at=s.starts_at, ends_at=s.ends_at)
        for s in slots
    ]


def _calendar(view: Calendar) -> CalendarResponse:
    return CalendarResponse(
        clinic_id=view.clinic_id,
        timezone=view.timezone,
        veterinarian_id=view.veterinarian_id,
        days=[
            CalendarDayResponse(
                day=day.day,
                entries=[
                    CalendarEntryResponse(
                        appointment_id=e.appointment_id,
                        veterinarian_id=e.veterinarian_id,
                        pet_id=e.pet_id,
                        service_type=e.service_type,
                        status=e.status,
                        priority=e.priority,
                        starts_at=e.starts_at,
                        ends_at=e.ends_at,
                    )
                    for e in day.entries
                ],
            )
            for day in view.days
        ],
    )


@router.get("/veterinarians/{veterinarian_id}/slots", response_model=list[SlotResponse])
async def veterinarian_free_slots(
    veterinarian_id: uuid.UUID,
    clinic_id: uuid.UUID,
    start: StartDay,
    end: EndDay,
    actor: ActorDep,
    session: ReadSessionDep,
    service_type: Service = ServiceType.WELLNESS_EXAM,
) -> list[SlotResponse]:
    """Free slots of one veterinarian at one clinic, by start time."""
    slots = await veterinarian_slots(
        session,
        veterinarian_id=veterinarian_id,
        clinic_id=clinic_id,
        first_day=_check_day(start, "start"),
        last_day=_check_day(end, "end"),
        service_type=service_type,
    )
    return _slots(slots)


@router.get("/clinics/{clinic_id}/slots", response_model=list[SlotResponse])
async def clinic_free_slots(
    clinic_id: uuid.UUID,
    start: StartDay,
    end: EndDay,
    actor: ActorDep,
    session: ReadSessionDep,
    service_type: Service = ServiceType.WELLNESS_EXAM,
    veterinarian_ids: Annotated[
        list[uuid.UUID] | None,
        Query(alias="veterinarian_id", max_length=50, description="only these veterinarians"),
    ] = None,
) -> list[SlotResponse]:
    """Free slots across the clinic's veterinarians, by start time then veterinarian."""
    slots = await clinic_slots(
        session,
        clinic_id=clinic_id,
        first_day=_check_day(start, "start"),
        last_day=_check_day(end, "end"),
        service_type=service_type,
        veterinarian_ids=veterinarian_ids or None,
    )
    return _slots(slots)


async def _view(
    session: AsyncSession,
    actor: Actor,
    *,
    clinic_id: uuid.UUID,
    day: date,
    view: CalendarView,
    veterinarian_id: uuid.UUID | None,
) -> CalendarResponse:
    day = _check_day(day, "date")
    show = week_view if view is CalendarView.WEEK else day_view
    return _calendar(
        await show(session, actor, clinic_id=clinic_id, day=day, veterinarian_id=veterinarian_id)
    )


@router.get("/clinics/{clinic_id}/calendar", response_model=CalendarResponse)
async def clinic_calendar(
    clinic_id: uuid.UUID,
    day: Day,
    actor: ActorDep,
    session: ReadSessionDep,
    view: CalendarView = CalendarView.DAY,
    veterinarian_id: uuid.UUID | None = None,
) -> CalendarResponse:
    """The clinic's appointments on a local day or its Monday-to-Sunday week (staff only)."""
    return await _view(
        session, actor, clinic_id=clinic_id, day=day, view=view, veterinarian_id=veterinarian_id
    )


@router.get("/veterinarians/{veterinarian_id}/calendar", response_model=CalendarResponse)
async def veterinarian_calendar(
    veterinarian_id: uuid.UUID,
    clinic_id: uuid.UUID,
    day: Day,
    actor: ActorDep,
    session: ReadSessionDep,
    view: CalendarView = CalendarView.DAY,
) -> CalendarResponse:
    """One veterinarian's appointments at a clinic on a local day or week (the clinic's staff)."""
    return await _view(
        session, actor, clinic_id=clinic_id, day=day, view=view, veterinarian_id=veterinarian_id
    )
