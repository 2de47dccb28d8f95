"""Day and week calendars of a veterinarian or a whole clinic, in the clinic's local time.

A local day is the span between two local midnights (23 or 25 hours around DST changes), so an
appointment at 01:30 on the autumn night lands on the right day whichever 01:30 it is. Weeks start
on Monday. Calendars show who comes when, so they need ``SCHEDULE_READ`` at the clinic (staff).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import BusinessRuleException, NotFoundException
from vet_core.models import Appointment, Clinic
from vet_core.models.enums import (
    AppointmentPriority,
    AppointmentStatus,
    ServiceType,
)
from vet_core.utils import parse_timezone
from vet_core.utils.time import local_day_bounds
from vet_services.auth.permissions import Action, Actor, authorize
from vet_services.scheduling.access import schedule_resource
from vet_services.scheduling.availability import MAX_RANGE_DAYS


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """One appointment as a calendar shows it; times are aware, in the clinic's zone."""

    appointment_id: uuid.UUID
    veterinarian_id: uuid.UUID
    pet_id: uuid.UUID
    service_type: ServiceType
    status: AppointmentStatus
    priority: AppointmentPriority
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """One local day and its appointments in start order."""

    day: date
    entries: tuple[CalendarEntry, ...]


@dataclass(frozen=True, slots=True)
class Calendar:
    """Consecutive local days of one clinic (optionally one veterinarian)."""

    clinic_id: uuid.UUID
    timezone: str
    veterinarian_id: uuid.UUID | None
    days: tuple[CalendarDay, ...]


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the ISO week containing ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


async def calendar(
    session: AsyncSession,
    actor: Actor,
    *,
    clinic_id: uuid.UUID,
    first_day: date,
    last_day: date,
    veterinarian_id: uuid.UUID | None = None,
    include_cancelled: bool = False,
) -> Calendar:
    """Appointments at the clinic (of one veterinarian, if given) per local day, two queries."""
    authorize(actor, Action.SCHEDULE_READ, schedule_resource(clinic_id))
    if not 0 <= (last_day - first_day).days < MAX_RANGE_DAYS:
        raise BusinessRuleException(
            f"a calendar covers 1 to {MAX_RANGE_DAYS} days", code="DATE_RANGE_INVALID"
        )
    timezone = await session.scalar(
        select(Clinic.timezone).where(Clinic.id == clinic_id, Clinic.not_deleted())
    )
    if timezone is None:
        raise NotFoundException("Clinic not found", code="CLINIC_NOT_FOUND")
    zone = parse_timezone(timezone)
    range_start = local_day_bounds(first_day, zone)[0]
    range_end = local_day_bounds(last_day, zone)[1]
    query = (
        select(Appointment)
        .where(
            Appointment.clinic_id == clinic_id,
            Appointment.not_deleted(),
            Appointment.starts_at >= range_start,
            Appointment.starts_at < range_end,
        )
        .order_by(Appointment.starts_at, Appointment.veterinarian_id)
    )
    if veterinarian_id is not None:
        query = query.where(Appointment.veterinarian_id == veterinarian_id)
    if not include_cancelled:
        query = query.where(Appointment.status != AppointmentStatus.CANCELLED)
    by_day: dict[date, list[CalendarEntry]] = defaultdict(list)
    for appointment in await session.scalars(query):
        starts_at = appointment.starts_at.astimezone(zone)
        by_day[starts_at.date()].append(
            CalendarEntry(
                appointment_id=appointment.id,
                veterinarian_id=appointment.veterinarian_id,
                pet_id=appointment.pet_id,
                service_type=appointment.service_type,
                status=appointment.status,
                priority=appointment.priority,
                starts_at=starts_at,
                ends_at=appointment.ends_at.astimezone(zone),
            )
        )
    days = tuple(
        CalendarDay(day, tuple(by_day.get(day, ())))
        for day in (first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1))
    )
    return Calendar(clinic_id, timezone, veterinarian_id, days)


async def day_view(
    session: AsyncSession,
    actor: Actor,
    *,
    clinic_id: uuid.UUID,
    day: date,
    veterinarian_id: uuid.UUID | None = None,
) -> Calendar:
    """One local day of the clinic, or of one veterinarian there."""
    return await calendar(
        session,
        actor,
        clinic_id=clinic_id,
        first_day=day,
        last_day=day,
        veterinarian_id=veterinarian_id,
    )


async def week_view(
    session: AsyncSession,
    actor: Actor,
    *,
    clinic_id: uuid.UUID,
    day: date,
    veterinarian_id: uuid.UUID | None = None,
) -> Calendar:
    """The Monday-to-Sunday week containing ``day``."""
    monday, sunday = week_of(day)
    return await calendar(
        session,
        actor,
        clinic_id=clinic_id,
        first_day=monday,
        last_day=sunday,
        veterinarian_id=veterinarian_id,
    )


__all__ = [
    "Calendar",
    "CalendarDay",
    "CalendarEntry",
    "calendar",
    "day_view",
    "week_of",
    "week_view",
]
