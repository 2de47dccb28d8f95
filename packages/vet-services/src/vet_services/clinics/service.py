"""A clinic: creating (platform admins), reading, changing, retiring it; its weekly hours,
closures and per-concern settings.

Every write goes through :func:`vet_services.clinics.access.authorized_clinic`, so a caller
unrelated to the clinic gets ``CLINIC_NOT_FOUND``. Services flush and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.database import constraint_name
from vet_core.exceptions import BusinessRuleException, ConflictException, NotFoundException
from vet_core.models import Clinic, ClinicClosure, ClinicOperatingHours
from vet_core.models.enums import AuditAction, UserRole
from vet_core.schemas.clinics import (
    ClinicClosureCreate,
    ClinicCreate,
    ClinicOperatingHoursCreate,
    ClinicUpdate,
    overlapping_hours,
)
from vet_services.audit import record_change, snapshot
from vet_services.auth.permissions import Action, Actor, require_role
from vet_services.clinics.access import authorized_clinic, load_clinic, require_local_times
from vet_services.reminders.rules import ReminderPolicy
from vet_services.scheduling.policy import SchedulingPolicy

SLUG_CONSTRAINT = "uq_clinics_slug"
HOURS_CONSTRAINT = "uq_clinic_operating_hours_slot"
SettingsPart = Literal["scheduling", "reminders"]


def slug_taken(slug: str) -> ConflictException:
    return ConflictException(
        "Another clinic already uses this slug", code="SLUG_TAKEN", details={"slug": slug}
    )


async def _flush_guarding_slug(
    session: AsyncSession, clinic: Clinic, changes: Mapping[str, Any] | None = None
) -> None:
    """Apply ``changes`` and flush in a savepoint so a duplicate live slug is ``SLUG_TAKEN``
    (the partial unique index decides, race-free) and the caller's transaction stays usable.

    The changes are made *inside* the savepoint: opening it flushes what is already dirty, and
    that flush would fail outside the savepoint's protection.
    """
    slug = (changes or {}).get("slug", clinic.slug)  # the object is expired after a rollback
    try:
        async with session.begin_nested():
            session.add(clinic)
            for name, value in (changes or {}).items():
                setattr(clinic, name, value)
            await session.flush()
    except IntegrityError as error:
        if constraint_name(error) == SLUG_CONSTRAINT:
            raise slug_taken(slug) from error
        raise


async def create_clinic(session: AsyncSession, actor: Actor, data: ClinicCreate) -> Clinic:
    """Register a clinic (platform admins only); its staff are added afterwards as members."""
    require_role(actor, UserRole.PLATFORM_ADMIN)
    values = data.model_dump()
    values["website"] = str(data.website) if data.website is not None else None
    clinic = Clinic(**values, created_by=actor.user_id, updated_by=actor.user_id)
    await _flush_guarding_slug(session, clinic)
    await record_change(
        session, actor, AuditAction.CREATE, "clinic", clinic.id, after=snapshot(clinic)
    )
    return clinic


async def get_clinic(session: AsyncSession, clinic_id: uuid.UUID) -> Clinic:
    """A clinic's public profile: anyone signed in may read it (owners choose where to go)."""
    return await load_clinic(session, clinic_id)


async def update_clinic(
    session: AsyncSession, actor: Actor, clinic_id: uuid.UUID, data: ClinicUpdate
) -> Clinic:
    """Change a clinic's profile (clinic admins of that clinic, platform admins)."""
    clinic = await authorized_clinic(session, actor, clinic_id, Action.CLINIC_MANAGE)
    changes = data.changes()
    if "website" in changes and changes["website"] is not None:
        changes["website"] = str(changes["website"])
    changes["updated_by"] = actor.user_id
    await _flush_guarding_slug(session, clinic, changes)
    return clinic


async def delete_clinic(session: AsyncSession, actor: Actor, clinic_id: uuid.UUID) -> None:
    """Retire a clinic (soft delete, platform admins only, audited); its slug becomes free."""
    require_role(actor, UserRole.PLATFORM_ADMIN)
    clinic = await load_clinic(session, clinic_id, lock=True)
    before = snapshot(clinic, ["name", "slug", "status", "deleted_at"])
    clinic.soft_delete()
    clinic.updated_by = actor.user_id
    await session.flush()
    await record_change(
        session,
        actor,
        AuditAction.DELETE,
        "clinic",
        clinic.id,
        before=before,
        after=snapshot(clinic, ["name", "slug", "status", "deleted_at"]),
    )


# --- hours ------------------------------------------------------------------------------------


async def list_hours(session: AsyncSession, clinic_id: uuid.UUID) -> list[ClinicOperatingHours]:
    """The clinic's weekly opening intervals, Monday first (public)."""
    await load_clinic(session, clinic_id)
    query = (
        select(ClinicOperatingHours)
        .where(ClinicOperatingHours.clinic_id == clinic_id)
        .order_by(ClinicOperatingHours.weekday, ClinicOperatingHours.opens_at)
    )
    return list((await session.execute(query)).scalars().all())


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def check_week(hours: Sequence[ClinicOperatingHoursCreate]) -> None:
    """Refuse overlapping intervals: a schedule reader would double count them.

    An interval closing at or before its opening runs into the next day, so Monday
    ``18:00-08:00`` overlaps Tuesday ``07:00-12:00`` (and Sunday night Monday morning).
    """
    for entry in hours:
        require_local_times(
            "hours",
            entry.opens_at,
            entry.closes_at,
            *(b.start for b in entry.breaks),
            *(b.end for b in entry.breaks),
        )
    overlap = overlapping_hours(hours)
    if overlap is not None:
        earlier, later = overlap
        raise BusinessRuleException(
            "hours: opening intervals overlap: "
            f"{_WEEKDAYS[earlier.weekday - 1]} {earlier.opens_at:%H:%M}-{earlier.closes_at:%H:%M}"
            f" and {_WEEKDAYS[later.weekday - 1]} {later.opens_at:%H:%M}-{later.closes_at:%H:%M}"
            " (a closing time at or before the opening is on the next day)",
            code="HOURS_OVERLAP",
            details={"field": "hours", "weekday": later.weekday},
        )


async def replace_hours(
    session: AsyncSession,
    actor: Actor,
    clinic_id: uuid.UUID,
    hours: Sequence[ClinicOperatingHoursCreate],
) -> list[ClinicOperatingHours]:
    """Replace the whole week at once (clinic admins): readers never see half a week.

    The clinic row is locked so two admins saving at once apply one after the other.
    """
    check_week(hours)
    await authorized_clinic(session, actor, clinic_id, Action.CLINIC_MANAGE, lock=True)
    await session.execute(
        delete(ClinicOperatingHours).where(ClinicOperatingHours.clinic_id == clinic_id)
    )
    rows = [
        ClinicOperatingHours(
            clinic_id=clinic_id,
            weekday=h.weekday,
            opens_at=h.opens_at,
            closes_at=h.closes_at,
            breaks=[{"start": f"{b.start:%H:%M}", "end": f"{b.end:%H:%M}"} for b in h.breaks],
        )
        for h in hours
    ]
    session.add_all(rows)
    await session.flush()
    return sorted(rows, key=lambda r: (r.weekday, r.opens_at))


# --- closures ---------------------------------------------------------------------------------


async def list_closures(
    session: AsyncSession, clinic_id: uuid.UUID, *, from_date: datetime | None = None
) -> list[ClinicClosure]:
    """Closures and special hours, earliest first (public: owners plan visits around them).

    Only those not over before ``from_date`` (today by default) are listed.
    """
    await load_clinic(session, clinic_id)
    since = (from_date or datetime.now(UTC)).date()
    query = (
        select(ClinicClosure)
        .where(ClinicClosure.clinic_id == clinic_id, ClinicClosure.ends_on >= since)
        .order_by(ClinicClosure.starts_on, ClinicClosure.id)
    )
    return list((await session.execute(query)).scalars().all())


async def add_closure(
    session: AsyncSession, actor: Actor, clinic_id: uuid.UUID, data: ClinicClosureCreate
) -> ClinicClosure:
    """Close the clinic for some days, or open it with special hours (SCHEDULE_MANAGE)."""
    await authorized_clinic(session, actor, clinic_id, Action.SCHEDULE_MANAGE)
    require_local_times("opens_at", data.opens_at, data.closes_at)
    closure = ClinicClosure(
        clinic_id=clinic_id, **data.model_dump(), created_by=actor.user_id, updated_by=actor.user_id
    )
    session.add(closure)
    await session.flush()
    return closure


async def remove_closure(
    session: AsyncSession, actor: Actor, clinic_id: uuid.UUID, closure_id: uuid.UUID
) -> None:
    """Withdraw a closure (SCHEDULE_MANAGE)."""
    await authorized_clinic(session, actor, clinic_id, Action.SCHEDULE_MANAGE)
    closure = await session.get(ClinicClosure, closure_id)
    if closure is None or closure.clinic_id != clinic_id:
        raise NotFoundException("Closure not found", code="CLOSURE_NOT_FOUND")
    await session.delete(closure)
    await session.flush()


# --- settings ---------------------------------------------------------------------------------


def _validated(part: SettingsPart, values: dict[str, Any]) -> None:
    """Validate with the policy that will read the part, so a typo fails now, not at booking."""
    if part == "scheduling":
        SchedulingPolicy.from_mapping(values)
    else:
        ReminderPolicy.from_settings({"reminders": values})


async def update_settings(
    session: AsyncSession,
    actor: Actor,
    clinic_id: uuid.UUID,
    part: SettingsPart,
    values: dict[str, Any],
) -> dict[str, Any]:
    """Replace one part of the clinic's settings (CLINIC_MANAGE); returns that part."""
    clinic = await authorized_clinic(session, actor, clinic_id, Action.CLINIC_MANAGE, lock=True)
    _validated(part, values)
    before = dict(clinic.settings or {})
    # A new dict: JSONB columns are not mutation-tracked in place.
    clinic.settings = {**before, part: values}
    clinic.updated_by = actor.user_id
    await session.flush()
    await record_change(
        session,
        actor,
        AuditAction.UPDATE,
        "clinic_settings",
        clinic.id,
        before={part: before.get(part)},
        after={part: values},
    )
    return values
