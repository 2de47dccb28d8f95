"""The daily digest: each morning, a clinic's staff get the list of the day's appointments.

"Morning" is the clinic's own: the worker runs :func:`send_daily_digests` every hour (UTC) and it
picks the clinics whose local hour is the digest hour (8 by default) at that moment, so each
clinic is picked once a day whatever its zone or DST (an hourly run meets every local hour once,
including zones offset by half or three quarters of an hour). For each clinic, the day is its
local date then; its appointments are those starting within that local day
(:func:`~vet_core.utils.time.local_day_bounds`, DST-safe), cancellations left out.

Each staff member's digest is keyed ``digest:<clinic>:<local date>:<user>`` (the dispatcher adds
the channel), so the same day is never sent twice: not by a redelivered job, not by a second
beat. A clinic with nothing booked that day sends nothing. A staff member inside their quiet
hours gets the digest when they end (the clinic's digest job is enqueued again for then).
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import DateTime, extract, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import Appointment, Clinic, Pet, User, Veterinarian
from vet_core.models.enums import AppointmentStatus, ClinicStatus, NotificationCategory
from vet_core.utils.time import local_day_bounds, to_zone, utcnow
from vet_services.notifications.dispatcher import Dispatcher, Notice
from vet_services.notifications.followup import (
    FollowUpReport,
    clinic_staff,
    defer_job,
    notify_users,
)
from vet_services.notifications.preferences import read_preferences
from vet_services.notifications.templates import format_local

DIGEST_TOPIC = "reports.daily_digest"
DIGEST_TEMPLATE = "daily_digest"
DEFAULT_DIGEST_HOUR = 8
#: Most appointments listed one by one; the counts always cover the whole day.
MAX_LISTED = 100


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """One appointment of the day, as the digest lists it (times in the clinic's zone)."""

    appointment_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatus
    service_type: str
    pet_name: str
    species: str
    veterinarian: str


@dataclass(frozen=True, slots=True)
class ClinicDigest:
    """A clinic's day: its local date and its appointments in start order."""

    clinic: Clinic
    day: date
    entries: list[DigestEntry]

    @property
    def total(self) -> int:
        return len(self.entries)

    @property
    def first(self) -> DigestEntry | None:
        return self.entries[0] if self.entries else None

    @property
    def last(self) -> DigestEntry | None:
        return self.entries[-1] if self.entries else None

    def by_status(self) -> list[tuple[str, int]]:
        counts = Counter(entry.status.value for entry in self.entries)
        return sorted(counts.items())


@dataclass(frozen=True, slots=True)
class DigestRun:
    """What one run sent, per clinic id (its local date and the notices' report)."""

    clinics: dict[uuid.UUID, tuple[date, FollowUpReport]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            str(clinic_id): {"day": day.isoformat(), **report.as_dict()}
            for clinic_id, (day, report) in self.clinics.items()
        }


async def clinics_at_local_hour(session: AsyncSession, hour: int, now: datetime) -> list[Clinic]:
    """The active clinics whose wall clock shows ``hour`` (0–23) at ``now``."""
    local_now = func.timezone(Clinic.timezone, literal(now, DateTime(timezone=True)))
    rows = await session.execute(
        select(Clinic)
        .where(
            Clinic.deleted_at.is_(None),
            Clinic.status == ClinicStatus.ACTIVE,
            extract("hour", local_now) == hour,
        )
        .order_by(Clinic.id)
    )
    return list(rows.scalars())


async def clinic_day(session: AsyncSession, clinic: Clinic, day: date) -> ClinicDigest:
    """The clinic's appointments starting on its local ``day``, cancellations left out."""
    start, end = local_day_bounds(day, clinic.timezone)
    rows = await session.execute(
        select(Appointment, Pet.name, Pet.species, User.first_name, User.last_name)
        .join(Pet, Pet.id == Appointment.pet_id)
        .join(Veterinarian, Veterinarian.id == Appointment.veterinarian_id)
        .join(User, User.id == Veterinarian.user_id)
        .where(
            Appointment.clinic_id == clinic.id,
            Appointment.deleted_at.is_(None),
            Appointment.status != AppointmentStatus.CANCELLED,
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    entries = [
        DigestEntry(
            appointment_id=appointment.id,
            starts_at=to_zone(appointment.starts_at, clinic.timezone),
            ends_at=to_zone(appointment.ends_at, clinic.timezone),
            status=appointment.status,
            service_type=appointment.service_type.value.replace("_", " "),
            pet_name=pet_name,
            species=str(species),
            veterinarian=f"Dr. {first_name} {last_name}",
        )
        for appointment, pet_name, species, first_name, last_name in rows
    ]
    return ClinicDigest(clinic, day, entries)


def digest_key(clinic_id: uuid.UUID, day: date) -> str:
    """The key of a clinic's digest for ``day``; each recipient's adds ``:<user id>``."""
    return f"digest:{clinic_id}:{day.isoformat()}"


def _context(digest: ClinicDigest, language: str) -> dict[str, Any]:
    def clock(moment: datetime) -> str:
        return f"{moment:%H:%M}"

    first, last = digest.first, digest.last
    return {
        "clinic_name": digest.clinic.name,
        "day": format_local(
            datetime.combine(digest.day, datetime.min.time()), language, with_time=False
        ),
        "total": digest.total,
        "first": clock(first.starts_at) if first else None,
        "last": clock(last.starts_at) if last else None,
        "by_status": [(status.replace("_", " "), n) for status, n in digest.by_status()],
        "appointments": [
            {
                "time": clock(entry.starts_at),
                "end": clock(entry.ends_at),
                "pet": entry.pet_name,
                "species": entry.species,
                "service": entry.service_type,
                "veterinarian": entry.veterinarian,
                "status": entry.status.value.replace("_", " "),
            }
            for entry in digest.entries[:MAX_LISTED]
        ],
        "more": max(digest.total - MAX_LISTED, 0),
    }


async def send_clinic_digest(
    session: AsyncSession,
    dispatcher: Dispatcher,
    clinic_id: uuid.UUID,
    day: date,
    *,
    now: datetime | None = None,
) -> FollowUpReport:
    """Send the staff of ``clinic_id`` the digest of its local ``day``, once per person."""
    now = now or utcnow()
    clinic = await session.get(Clinic, clinic_id)
    if clinic is None or clinic.deleted_at is not None:
        return FollowUpReport()
    digest = await clinic_day(session, clinic, day)
    if digest.total == 0:
        return FollowUpReport()
    key = digest_key(clinic.id, day)
    report = await notify_users(
        session,
        dispatcher,
        await clinic_staff(session, clinic.id),
        lambda user: Notice(
            template=DIGEST_TEMPLATE,
            context={
                **_context(digest, read_preferences(user).language),
                "recipient_name": user.first_name,
            },
            category=NotificationCategory.SYSTEM,
            data={"clinic_id": str(clinic.id), "day": day.isoformat()},
        ),
        key=key,
        now=now,
        fallback_timezone=clinic.timezone,
    )
    await defer_job(
        session,
        DIGEST_TOPIC,
        {"clinic_id": str(clinic.id), "day": day.isoformat()},
        report,
        key=key,
    )
    return report


async def send_daily_digests(
    session: AsyncSession,
    dispatcher: Dispatcher,
    *,
    now: datetime | None = None,
    hour: int = DEFAULT_DIGEST_HOUR,
) -> DigestRun:
    """Send the digest of every clinic whose local hour is ``hour`` now, for its local date."""
    now = now or utcnow()
    run = DigestRun()
    for clinic in await clinics_at_local_hour(session, hour, now):
        day = to_zone(now, clinic.timezone).date()
        run.clinics[clinic.id] = (
            day,
            await send_clinic_digest(session, dispatcher, clinic.id, day, now=now),
        )
    return run


__all__ = [
    "DEFAULT_DIGEST_HOUR",
    "DIGEST_TOPIC",
    "ClinicDigest",
    "DigestEntry",
    "DigestRun",
    "clinic_day",
    "clinics_at_local_hour",
    "digest_key",
    "send_clinic_digest",
    "send_daily_digests",
]
