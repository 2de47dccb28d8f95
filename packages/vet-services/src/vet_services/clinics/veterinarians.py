"""Veterinarians: their professional profile, their weekly availability rules per clinic and
their time off.

Profiles are public to anyone signed in (owners choose a vet). A profile is created by whoever
manages the staff of a clinic where the person works as a veterinarian, and changed by the vet
themself or such a manager. Schedules (rules, time off) are managed with SCHEDULE_MANAGE at the
clinic concerned, but a veterinarian manages only their *own* schedule, not a colleague's.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.database import constraint_name
from vet_core.exceptions import (
    BusinessRuleException,
    ConflictException,
    NotFoundException,
    PermissionDeniedException,
)
from vet_core.models import (
    ClinicMembership,
    Veterinarian,
    VeterinarianAvailability,
    VeterinarianTimeOff,
)
from vet_core.models.enums import MembershipStatus, StaffRole
from vet_core.schemas.veterinarians import (
    VeterinarianAvailabilityCreate,
    VeterinarianCreate,
    VeterinarianTimeOffCreate,
    VeterinarianUpdate,
)
from vet_core.utils.business_hours import weekly_overlap
from vet_services.auth.permissions import Action, Actor, Resource, authorize
from vet_services.clinics.access import load_clinic, require_local_times
from vet_services.pagination import Page, check_limit, keyset, page_of

LICENSE_CONSTRAINT = "uq_veterinarians_license_number"
USER_CONSTRAINT = "uq_veterinarians_user_id"


def veterinarian_not_found() -> NotFoundException:
    return NotFoundException("Veterinarian not found", code="VETERINARIAN_NOT_FOUND")


async def vet_clinic_ids(session: AsyncSession, user_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """The clinics where the user currently works as a veterinarian."""
    query = select(ClinicMembership.clinic_id).where(
        ClinicMembership.user_id == user_id,
        ClinicMembership.role == StaffRole.VETERINARIAN,
        ClinicMembership.status == MembershipStatus.ACTIVE,
        ClinicMembership.ended_at.is_(None),
    )
    return frozenset((await session.execute(query)).scalars().all())


async def _flush_guarding_unique(
    session: AsyncSession, vet: Veterinarian, changes: Mapping[str, Any] | None = None
) -> None:
    """Apply ``changes`` and flush in a savepoint: a licence or user already on file is a clear
    409, race-free. The changes are made inside the savepoint, which opening it would flush."""
    try:
        async with session.begin_nested():
            session.add(vet)
            for field, value in (changes or {}).items():
                setattr(vet, field, value)
            await session.flush()
    except IntegrityError as error:
        name = constraint_name(error)
        if name == LICENSE_CONSTRAINT:
            raise ConflictException(
                "Another veterinarian has this licence number",
                code="LICENSE_NUMBER_TAKEN",
                details={"field": "license_number"},
            ) from error
        if name == USER_CONSTRAINT:
            raise ConflictException(
                "This person already has a veterinarian profile",
                code="VETERINARIAN_EXISTS",
                details={"field": "user_id"},
            ) from error
        raise


# --- profiles ---------------------------------------------------------------------------------


async def create_veterinarian(
    session: AsyncSession, actor: Actor, data: VeterinarianCreate
) -> Veterinarian:
    """Create the profile of a user who works as a veterinarian at a clinic (STAFF_MANAGE there).

    A user who is a veterinarian at none of the caller's clinics is not found for a clinic admin;
    a platform admin is told the person is no clinic's veterinarian (422).
    """
    clinics = await vet_clinic_ids(session, data.user_id)
    if not clinics:
        if actor.is_platform_admin and actor.api_key_id is None:
            raise BusinessRuleException(
                "The person must first be a member of a clinic with the role veterinarian",
                code="NOT_A_CLINIC_VETERINARIAN",
                details={"field": "user_id"},
            )
        raise NotFoundException("User not found", code="USER_NOT_FOUND")
    authorize(actor, Action.STAFF_MANAGE, Resource.of("user", data.user_id, clinics=clinics))
    values = data.model_dump()
    values["species_expertise"] = [str(s) for s in data.species_expertise]
    vet = Veterinarian(**values, created_by=actor.user_id, updated_by=actor.user_id)
    await _flush_guarding_unique(session, vet)
    return vet


async def load_veterinarian(session: AsyncSession, veterinarian_id: uuid.UUID) -> Veterinarian:
    """A live veterinarian profile, or ``VETERINARIAN_NOT_FOUND``."""
    vet = (
        await session.execute(
            select(Veterinarian).where(
                Veterinarian.id == veterinarian_id, Veterinarian.not_deleted()
            )
        )
    ).scalar_one_or_none()
    if vet is None:
        raise veterinarian_not_found()
    return vet


async def get_veterinarian(session: AsyncSession, veterinarian_id: uuid.UUID) -> Veterinarian:
    """A veterinarian's public profile (anyone signed in)."""
    return await load_veterinarian(session, veterinarian_id)


async def list_veterinarians(
    session: AsyncSession,
    *,
    clinic_id: uuid.UUID | None = None,
    accepts_new_patients: bool | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> Page[Veterinarian]:
    """Veterinarians, oldest profile first; with ``clinic_id``, those working there now."""
    check_limit(limit)
    query = select(Veterinarian).where(Veterinarian.not_deleted())
    if clinic_id is not None:
        await load_clinic(session, clinic_id)
        works_there = (
            select(ClinicMembership.id)
            .where(
                ClinicMembership.clinic_id == clinic_id,
                ClinicMembership.user_id == Veterinarian.user_id,
                ClinicMembership.role == StaffRole.VETERINARIAN,
                ClinicMembership.status == MembershipStatus.ACTIVE,
                ClinicMembership.ended_at.is_(None),
            )
            .exists()
        )
        query = query.where(works_there)
    if accepts_new_patients is not None:
        query = query.where(Veterinarian.accepts_new_patients.is_(accepts_new_patients))
    statement = keyset(
        query,
        Veterinarian.created_at,
        Veterinarian.id,
        cursor=cursor,
        limit=limit,
        descending=False,
    )
    return page_of((await session.execute(statement)).scalars().all(), limit)


async def _vet_resource(session: AsyncSession, vet: Veterinarian) -> Resource:
    clinics = await vet_clinic_ids(session, vet.user_id)
    return Resource.of("veterinarian", vet.id, owners=[vet.user_id], clinics=clinics)


async def update_veterinarian(
    session: AsyncSession, actor: Actor, veterinarian_id: uuid.UUID, data: VeterinarianUpdate
) -> Veterinarian:
    """Change a profile: the vet themself, or STAFF_MANAGE at a clinic where they work."""
    vet = await load_veterinarian(session, veterinarian_id)
    if actor.user_id is None or actor.user_id != vet.user_id:
        authorize(actor, Action.STAFF_MANAGE, await _vet_resource(session, vet))
    changes = data.changes()
    if changes.get("species_expertise") is not None:
        changes["species_expertise"] = [str(s) for s in changes["species_expertise"]]
    changes["updated_by"] = actor.user_id
    await _flush_guarding_unique(session, vet, changes)
    return vet


# --- schedule access --------------------------------------------------------------------------


def _authorize_schedule(actor: Actor, vet: Veterinarian, clinic_ids: frozenset[uuid.UUID]) -> None:
    """SCHEDULE_MANAGE at one of ``clinic_ids``; a veterinarian only for their own schedule."""
    if actor.user_id is not None and actor.user_id == vet.user_id and clinic_ids:
        return
    resource = Resource.of("veterinarian", vet.id, clinics=clinic_ids)
    authorize(actor, Action.SCHEDULE_MANAGE, resource)
    if actor.is_platform_admin and actor.api_key_id is None:
        return
    if actor.api_key_id is not None:
        return
    managing = {
        clinic_id
        for clinic_id in clinic_ids & actor.memberships.keys()
        if actor.memberships[clinic_id] is StaffRole.CLINIC_ADMIN
    }
    if not managing:
        raise PermissionDeniedException(
            "Veterinarians manage only their own schedule",
            details={"action": Action.SCHEDULE_MANAGE.value},
        )


def _authorize_schedule_read(
    actor: Actor, vet: Veterinarian, clinic_ids: frozenset[uuid.UUID]
) -> None:
    if actor.user_id is not None and actor.user_id == vet.user_id:
        return
    authorize(actor, Action.SCHEDULE_READ, Resource.of("veterinarian", vet.id, clinics=clinic_ids))


# --- availability rules -----------------------------------------------------------------------


async def list_rules(
    session: AsyncSession, veterinarian_id: uuid.UUID, *, clinic_id: uuid.UUID | None = None
) -> list[VeterinarianAvailability]:
    """A vet's weekly rules (public: when they work is what owners book against)."""
    await load_veterinarian(session, veterinarian_id)
    query = select(VeterinarianAvailability).where(
        VeterinarianAvailability.veterinarian_id == veterinarian_id
    )
    if clinic_id is not None:
        query = query.where(VeterinarianAvailability.clinic_id == clinic_id)
    query = query.order_by(
        VeterinarianAvailability.weekday,
        VeterinarianAvailability.starts_at_local,
        VeterinarianAvailability.id,
    )
    return list((await session.execute(query)).scalars().all())


async def add_rule(
    session: AsyncSession,
    actor: Actor,
    veterinarian_id: uuid.UUID,
    data: VeterinarianAvailabilityCreate,
) -> VeterinarianAvailability:
    """Add a weekly rule at a clinic where the vet works; overlapping rules are a 409.

    A vet cannot be in two places at once, so the overlap check spans every clinic.
    """
    vet = await load_veterinarian(session, veterinarian_id)
    works_at = await vet_clinic_ids(session, vet.user_id)
    _authorize_schedule(actor, vet, works_at)
    if data.clinic_id not in works_at:
        raise BusinessRuleException(
            "The veterinarian does not work at this clinic",
            code="VETERINARIAN_NOT_AT_CLINIC",
            details={"field": "clinic_id"},
        )
    _authorize_schedule(actor, vet, frozenset({data.clinic_id}))
    require_local_times("starts_at_local", data.starts_at_local, data.ends_at_local)
    clinic = await load_clinic(session, data.clinic_id)
    # "From today" means today where the clinic is, not on the server.
    effective_from = data.effective_from or datetime.now(ZoneInfo(clinic.timezone)).date()
    until = data.effective_until
    # A night shift (end at or before start) runs into the next weekday, so the rules of the
    # weekdays either side are compared too, in wall-clock time over the week.
    neighbours = {(data.weekday + shift - 1) % 7 + 1 for shift in (-1, 0, 1)}
    criteria: list[ColumnElement[bool]] = [
        VeterinarianAvailability.veterinarian_id == vet.id,
        VeterinarianAvailability.weekday.in_(sorted(neighbours)),
        or_(
            VeterinarianAvailability.effective_until.is_(None),
            VeterinarianAvailability.effective_until >= effective_from,
        ),
    ]
    if until is not None:
        criteria.append(VeterinarianAvailability.effective_from <= until)
    query = (
        select(
            VeterinarianAvailability.id,
            VeterinarianAvailability.weekday,
            VeterinarianAvailability.starts_at_local,
            VeterinarianAvailability.ends_at_local,
        )
        .where(*criteria)
        .order_by(VeterinarianAvailability.weekday, VeterinarianAvailability.starts_at_local)
    )
    candidate = (data.weekday - 1, data.starts_at_local, data.ends_at_local)
    overlapping = next(
        (
            rule_id
            for rule_id, weekday, starts, ends in (await session.execute(query)).all()
            if weekly_overlap(candidate, (weekday - 1, starts, ends))
        ),
        None,
    )
    if overlapping is not None:
        raise ConflictException(
            "This rule overlaps another rule of the veterinarian",
            code="AVAILABILITY_OVERLAP",
            details={"rule_id": str(overlapping)},
        )
    rule = VeterinarianAvailability(
        veterinarian_id=vet.id,
        clinic_id=data.clinic_id,
        weekday=data.weekday,
        starts_at_local=data.starts_at_local,
        ends_at_local=data.ends_at_local,
        effective_from=effective_from,
        effective_until=until,
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    session.add(rule)
    await session.flush()
    return rule


async def remove_rule(
    session: AsyncSession, actor: Actor, veterinarian_id: uuid.UUID, rule_id: uuid.UUID
) -> None:
    """Delete a weekly rule (the vet, or SCHEDULE_MANAGE at the rule's clinic)."""
    vet = await load_veterinarian(session, veterinarian_id)
    rule = await session.get(VeterinarianAvailability, rule_id)
    if rule is None or rule.veterinarian_id != vet.id:
        raise NotFoundException("Availability rule not found", code="AVAILABILITY_RULE_NOT_FOUND")
    _authorize_schedule(actor, vet, frozenset({rule.clinic_id}))
    await session.delete(rule)
    await session.flush()


# --- time off ---------------------------------------------------------------------------------


async def list_time_off(
    session: AsyncSession, actor: Actor, veterinarian_id: uuid.UUID
) -> list[VeterinarianTimeOff]:
    """A vet's time off, earliest first (the vet, staff of their clinics, platform admins)."""
    vet = await load_veterinarian(session, veterinarian_id)
    _authorize_schedule_read(actor, vet, await vet_clinic_ids(session, vet.user_id))
    query = (
        select(VeterinarianTimeOff)
        .where(VeterinarianTimeOff.veterinarian_id == vet.id)
        .order_by(VeterinarianTimeOff.starts_at, VeterinarianTimeOff.id)
    )
    return list((await session.execute(query)).scalars().all())


async def add_time_off(
    session: AsyncSession, actor: Actor, veterinarian_id: uuid.UUID, data: VeterinarianTimeOffCreate
) -> VeterinarianTimeOff:
    """Block an interval (the vet, or SCHEDULE_MANAGE at a clinic where they work)."""
    vet = await load_veterinarian(session, veterinarian_id)
    _authorize_schedule(actor, vet, await vet_clinic_ids(session, vet.user_id))
    entry = VeterinarianTimeOff(
        veterinarian_id=vet.id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        reason=data.reason,
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    session.add(entry)
    await session.flush()
    return entry


async def remove_time_off(
    session: AsyncSession, actor: Actor, veterinarian_id: uuid.UUID, time_off_id: uuid.UUID
) -> None:
    """Withdraw time off (the vet, or SCHEDULE_MANAGE at a clinic where they work)."""
    vet = await load_veterinarian(session, veterinarian_id)
    _authorize_schedule(actor, vet, await vet_clinic_ids(session, vet.user_id))
    entry = await session.get(VeterinarianTimeOff, time_off_id)
    if entry is None or entry.veterinarian_id != vet.id:
        raise NotFoundException("Time off not found", code="TIME_OFF_NOT_FOUND")
    await session.delete(entry)
    await session.flush()
