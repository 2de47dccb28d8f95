"""Who works at a clinic: listing the staff, adding a person by e-mail, changing a role, ending
a membership.

Any staff member of the clinic may list its staff (they work together); only STAFF_MANAGE
(clinic admins, platform admins) changes it. Every change is audited, and a clinic never loses
its last active clinic admin: nobody else could then manage it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.database import constraint_name
from vet_core.exceptions import ConflictException, NotFoundException
from vet_core.models import ClinicMembership, User
from vet_core.models.enums import AuditAction, MembershipStatus, StaffRole
from vet_core.schemas.clinics import ClinicMembershipUpdate
from vet_services.audit import record_change, snapshot
from vet_services.auth.permissions import Action, Actor
from vet_services.clinics.access import authorized_clinic, load_clinic, require_staff_of
from vet_services.pagination import Page, check_limit, keyset, page_of

CURRENT_MEMBERSHIP_CONSTRAINT = "uq_clinic_memberships_current"
_AUDITED = ("role", "status", "ended_at")


def membership_not_found() -> NotFoundException:
    return NotFoundException("Membership not found", code="MEMBERSHIP_NOT_FOUND")


async def list_members(
    session: AsyncSession,
    actor: Actor,
    clinic_id: uuid.UUID,
    *,
    include_ended: bool = False,
    cursor: str | None = None,
    limit: int = 20,
) -> Page[ClinicMembership]:
    """The clinic's staff, oldest membership first (staff of the clinic, platform admins)."""
    check_limit(limit)
    require_staff_of(actor, clinic_id)
    await load_clinic(session, clinic_id)
    query = select(ClinicMembership).where(ClinicMembership.clinic_id == clinic_id)
    if not include_ended:
        query = query.where(ClinicMembership.ended_at.is_(None))
    statement = keyset(
        query,
        ClinicMembership.created_at,
        ClinicMembership.id,
        cursor=cursor,
        limit=limit,
        descending=False,
    )
    return page_of((await session.execute(statement)).scalars().all(), limit)


async def add_member(
    session: AsyncSession, actor: Actor, clinic_id: uuid.UUID, email: str, role: StaffRole
) -> ClinicMembership:
    """Give an existing user a staff role at the clinic (STAFF_MANAGE; audited).

    The person must already have an account (they sign up first); a current member is a
    conflict, decided by the partial unique index so two admins adding at once cannot both win.
    """
    await authorized_clinic(session, actor, clinic_id, Action.STAFF_MANAGE)
    user = (
        await session.execute(select(User).where(func.lower(User.email) == email.strip().lower()))
    ).scalar_one_or_none()
    if user is None:
        raise NotFoundException(
            "No user has this e-mail address", code="USER_NOT_FOUND", details={"field": "email"}
        )
    membership = ClinicMembership(
        clinic_id=clinic_id,
        user_id=user.id,
        role=role,
        status=MembershipStatus.ACTIVE,
        started_at=datetime.now(UTC),
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    try:
        async with session.begin_nested():
            session.add(membership)
            await session.flush()
    except IntegrityError as error:
        if constraint_name(error) == CURRENT_MEMBERSHIP_CONSTRAINT:
            raise ConflictException(
                "This person is already a member of the clinic",
                code="ALREADY_MEMBER",
                details={"user_id": str(user.id)},
            ) from error
        raise
    await record_change(
        session,
        actor,
        AuditAction.CREATE,
        "clinic_membership",
        membership.id,
        after={"clinic_id": clinic_id, "user_id": user.id, **snapshot(membership, _AUDITED)},
    )
    return membership


async def _load_membership(
    session: AsyncSession, clinic_id: uuid.UUID, membership_id: uuid.UUID
) -> ClinicMembership:
    query = (
        select(ClinicMembership)
        .where(ClinicMembership.id == membership_id, ClinicMembership.clinic_id == clinic_id)
        .with_for_update()
    )
    membership = (await session.execute(query)).scalar_one_or_none()
    if membership is None:
        raise membership_not_found()
    return membership


def _is_acting_admin(role: StaffRole, status: MembershipStatus, ended_at: datetime | None) -> bool:
    return role is StaffRole.CLINIC_ADMIN and status is MembershipStatus.ACTIVE and ended_at is None


async def _guard_last_admin(
    session: AsyncSession, membership: ClinicMembership, after: dict[str, Any]
) -> None:
    """Refuse a change that leaves the clinic without an active clinic admin.

    The clinic's admin memberships are locked first, so two admins demoting each other at once
    are serialized and cannot both succeed.
    """
    was_admin = _is_acting_admin(membership.role, membership.status, membership.ended_at)
    stays_admin = _is_acting_admin(after["role"], after["status"], after["ended_at"])
    if not was_admin or stays_admin:
        return
    others = (
        (
            await session.execute(
                select(ClinicMembership.id)
                .where(
                    ClinicMembership.clinic_id == membership.clinic_id,
                    ClinicMembership.id != membership.id,
                    ClinicMembership.role == StaffRole.CLINIC_ADMIN,
                    ClinicMembership.status == MembershipStatus.ACTIVE,
                    ClinicMembership.ended_at.is_(None),
                )
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    if not others:
        raise ConflictException(
            "The clinic must keep at least one active clinic admin",
            code="LAST_CLINIC_ADMIN",
            details={"membership_id": str(membership.id)},
        )


async def _apply(
    session: AsyncSession, actor: Actor, membership: ClinicMembership, after: dict[str, Any]
) -> ClinicMembership:
    if membership.ended_at is not None:
        raise ConflictException(
            "This membership has ended; add the person again instead", code="MEMBERSHIP_ENDED"
        )
    await _guard_last_admin(session, membership, after)
    before = snapshot(membership, _AUDITED)
    for name, value in after.items():
        setattr(membership, name, value)
    membership.updated_by = actor.user_id
    await session.flush()
    await record_change(
        session,
        actor,
        AuditAction.UPDATE,
        "clinic_membership",
        membership.id,
        before=before,
        after=snapshot(membership, _AUDITED),
    )
    return membership


async def change_member(
    session: AsyncSession,
    actor: Actor,
    clinic_id: uuid.UUID,
    membership_id: uuid.UUID,
    data: ClinicMembershipUpdate,
) -> ClinicMembership:
    """Change a member's role or status (STAFF_MANAGE; audited).

    Setting ``status`` to ``ended`` or an ``ended_at`` ends the membership, like
    :func:`end_member`.
    """
    await authorized_clinic(session, actor, clinic_id, Action.STAFF_MANAGE)
    membership = await _load_membership(session, clinic_id, membership_id)
    changes = data.changes()
    after: dict[str, Any] = {
        "role": changes.get("role") or membership.role,
        "status": changes.get("status") or membership.status,
        "ended_at": changes.get("ended_at", membership.ended_at),
    }
    if after["status"] is MembershipStatus.ENDED or after["ended_at"] is not None:
        after["status"] = MembershipStatus.ENDED
        after["ended_at"] = max(after["ended_at"] or datetime.now(UTC), membership.started_at)
    return await _apply(session, actor, membership, after)


async def end_member(
    session: AsyncSession, actor: Actor, clinic_id: uuid.UUID, membership_id: uuid.UUID
) -> ClinicMembership:
    """End a membership now (STAFF_MANAGE; audited); it stays as history."""
    await authorized_clinic(session, actor, clinic_id, Action.STAFF_MANAGE)
    membership = await _load_membership(session, clinic_id, membership_id)
    after: dict[str, Any] = {
        "role": membership.role,
        "status": MembershipStatus.ENDED,
        "ended_at": max(datetime.now(UTC), membership.started_at),
    }
    return await _apply(session, actor, membership, after)
