"""Clinic staff as a specification: staff list their colleagues, only staff managers change the
staff, every change is audited, and a clinic always keeps an active clinic admin."""

from __future__ import annotations

import pytest
from clinic_world import Staffed
from sqlalchemy import select

from vet_core.exceptions import ConflictException, NotFoundException, PermissionDeniedException
from vet_core.models.audit import AuditLog
from vet_core.models.enums import AuditAction, MembershipStatus, StaffRole, UserRole
from vet_core.schemas.clinics import ClinicMembershipUpdate
from vet_services.clinics import members


@pytest.mark.parametrize("who", ["admin", "receptionist", "vet", "platform"])
async def test_staff_and_platform_admins_list_the_staff(world: Staffed, who: str) -> None:
    page = await members.list_members(
        world.build.session, getattr(world, who).actor, world.clinic.id
    )
    assert {m.user_id for m in page.items} == {
        world.admin.user.id,
        world.receptionist.user.id,
        world.vet.user.id,
    }


@pytest.mark.parametrize("who", ["other_admin", "owner"])
async def test_outsiders_do_not_see_the_staff(world: Staffed, who: str) -> None:
    with pytest.raises(NotFoundException):
        await members.list_members(world.build.session, getattr(world, who).actor, world.clinic.id)


async def test_adding_a_member_by_email_is_audited_and_happens_once(world: Staffed) -> None:
    session = world.build.session
    newcomer = await world.build.user(UserRole.VET_TECH)
    added = await members.add_member(
        session,
        world.admin.actor,
        world.clinic.id,
        f"  {newcomer.email.upper()} ",
        StaffRole.VET_TECH,
    )
    assert (added.user_id, added.role, added.status) == (
        newcomer.id,
        StaffRole.VET_TECH,
        MembershipStatus.ACTIVE,
    )
    [entry] = (
        (await session.execute(select(AuditLog).where(AuditLog.entity_id == added.id)))
        .scalars()
        .all()
    )
    assert entry.action is AuditAction.CREATE
    assert entry.changes["role"] == {"before": None, "after": "vet_tech"}
    with pytest.raises(ConflictException) as twice:
        await members.add_member(
            session, world.admin.actor, world.clinic.id, newcomer.email, StaffRole.RECEPTIONIST
        )
    assert twice.value.code == "ALREADY_MEMBER"
    with pytest.raises(NotFoundException) as unknown:
        await members.add_member(
            session, world.admin.actor, world.clinic.id, "nobody@example.com", StaffRole.VET_TECH
        )
    assert unknown.value.code == "USER_NOT_FOUND"


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("receptionist", PermissionDeniedException),
        ("vet", PermissionDeniedException),
        ("other_admin", NotFoundException),
        ("owner", NotFoundException),
    ],
)
async def test_only_staff_managers_add_members(
    world: Staffed, who: str, refusal: type[Exception]
) -> None:
    newcomer = await world.build.user()
    with pytest.raises(refusal):
        await members.add_member(
            world.build.session,
            getattr(world, who).actor,
            world.clinic.id,
            newcomer.email,
            StaffRole.RECEPTIONIST,
        )


async def test_roles_change_and_memberships_end_as_history(world: Staffed) -> None:
    session = world.build.session
    membership = await world.membership_of(world.receptionist)
    changed = await members.change_member(
        session,
        world.admin.actor,
        world.clinic.id,
        membership.id,
        ClinicMembershipUpdate(role=StaffRole.VET_TECH),
    )
    assert changed.role is StaffRole.VET_TECH
    ended = await members.end_member(session, world.admin.actor, world.clinic.id, membership.id)
    assert ended.status is MembershipStatus.ENDED
    assert ended.ended_at is not None
    with pytest.raises(ConflictException) as again:
        await members.end_member(session, world.admin.actor, world.clinic.id, membership.id)
    assert again.value.code == "MEMBERSHIP_ENDED"
    page = await members.list_members(session, world.admin.actor, world.clinic.id)
    assert membership.id not in [m.id for m in page.items]
    history = await members.list_members(
        session, world.admin.actor, world.clinic.id, include_ended=True
    )
    assert membership.id in [m.id for m in history.items]
    actions = (
        (await session.execute(select(AuditLog.action).where(AuditLog.entity_id == membership.id)))
        .scalars()
        .all()
    )
    assert actions == [AuditAction.UPDATE, AuditAction.UPDATE]


async def test_the_last_clinic_admin_stays(world: Staffed) -> None:
    session = world.build.session
    mine = await world.membership_of(world.admin)
    for attempt in (
        members.end_member(session, world.admin.actor, world.clinic.id, mine.id),
        members.change_member(
            session,
            world.admin.actor,
            world.clinic.id,
            mine.id,
            ClinicMembershipUpdate(status=MembershipStatus.SUSPENDED),
        ),
    ):
        with pytest.raises(ConflictException) as refused:
            await attempt
        assert refused.value.code == "LAST_CLINIC_ADMIN"
    second = await world.build.user()
    await members.add_member(
        session, world.platform.actor, world.clinic.id, second.email, StaffRole.CLINIC_ADMIN
    )
    ended = await members.end_member(session, world.admin.actor, world.clinic.id, mine.id)
    assert ended.status is MembershipStatus.ENDED
