"""Marking no-shows: appointments that ended a while ago and whose pet never checked in.

An appointment still ``scheduled`` or ``confirmed`` (the statuses from which
:data:`~vet_services.scheduling.lifecycle.TRANSITIONS` allows ``no_show``), never checked in,
whose end passed more than the clinic's grace period ago (``settings.scheduling.
no_show_grace_minutes``, validated by :class:`SchedulingPolicy`; 30 minutes by default) becomes
``no_show``.

One set-based statement does it: ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED
LIMIT n) AND status IN (…) RETURNING``. Like the lifecycle's compare-and-set, the status is
checked in the update itself, so a check-in racing the sweep wins or loses cleanly (the locked
row is skipped, or the sweep finds it checked in); two sweeps at once share the rows, and a second
run finds nothing left. The version is bumped as every lifecycle update does. The lifecycle
writes no audit entry for status changes, so neither does this. The freed slot is in the past,
so, unlike a cancellation, it is not offered to the waitlist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import Appointment, Clinic
from vet_core.models.enums import AppointmentStatus
from vet_core.utils.time import ensure_aware, utcnow
from vet_services.scheduling.policy import SchedulingPolicy

#: The statuses an appointment that nobody turned up for is still in.
NO_SHOW_CANDIDATES = (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED)
DEFAULT_GRACE_MINUTES = SchedulingPolicy().no_show_grace_minutes
DEFAULT_BATCH = 1_000


@dataclass(frozen=True, slots=True)
class NoShow:
    """One appointment the sweep marked."""

    appointment_id: uuid.UUID
    clinic_id: uuid.UUID
    pet_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime


async def mark_no_shows(
    session: AsyncSession,
    *,
    now: datetime | None = None,
    default_grace_minutes: int = DEFAULT_GRACE_MINUTES,
    limit: int = DEFAULT_BATCH,
) -> list[NoShow]:
    """Mark up to ``limit`` overdue, never checked-in appointments ``no_show``; those marked.

    ``default_grace_minutes`` applies to clinics whose settings name no grace period.
    """
    now = ensure_aware(now, field="now") if now is not None else utcnow()
    grace = func.coalesce(
        Clinic.settings["scheduling"]["no_show_grace_minutes"].astext.cast(Integer),
        default_grace_minutes,
    )
    due = (
        select(Appointment.id)
        .join(Clinic, Clinic.id == Appointment.clinic_id)
        .where(
            Appointment.status.in_(NO_SHOW_CANDIDATES),
            Appointment.checked_in_at.is_(None),
            Appointment.deleted_at.is_(None),
            # Implied by the next condition (grace >= 0); lets the (status, starts_at) index work.
            Appointment.starts_at < now,
            Appointment.ends_at < now - func.make_interval(0, 0, 0, 0, 0, grace),
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(limit)
        .with_for_update(of=Appointment, skip_locked=True)
    )
    statement = (
        update(Appointment)
        .where(
            Appointment.id.in_(due.scalar_subquery()),
            Appointment.status.in_(NO_SHOW_CANDIDATES),
            Appointment.checked_in_at.is_(None),
        )
        .values(status=AppointmentStatus.NO_SHOW, updated_by=None, version=Appointment.version + 1)
        .returning(
            Appointment.id,
            Appointment.clinic_id,
            Appointment.pet_id,
            Appointment.starts_at,
            Appointment.ends_at,
        )
        # Appointments this session loaded already are brought up to date.
        .execution_options(synchronize_session="fetch")
    )
    rows = (await session.execute(statement)).all()
    marked = [NoShow(row.id, row.clinic_id, row.pet_id, row.starts_at, row.ends_at) for row in rows]
    marked.sort(key=lambda item: (item.starts_at, item.appointment_id))
    return marked


__all__ = ["DEFAULT_GRACE_MINUTES", "NO_SHOW_CANDIDATES", "NoShow", "mark_no_shows"]
