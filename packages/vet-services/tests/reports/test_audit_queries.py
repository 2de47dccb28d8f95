"""Audit queries: by entity, by actor, by clinic; filtered, paginated, and only for AUDIT_READ."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from report_builders import ReportBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import NotFoundException, PermissionDeniedException
from vet_core.models.enums import AuditAction, StaffRole, UserRole
from vet_services.audit_queries import list_audit_entries
from vet_services.auth.permissions import Actor

T0 = datetime(2026, 2, 1, 12, tzinfo=UTC)
PLATFORM_ADMIN = Actor(role=UserRole.PLATFORM_ADMIN, user_id=uuid.uuid4())


async def test_a_clinic_sees_entries_about_its_records_only(
    db_session: AsyncSession, reports: ReportBuilder
) -> None:
    clinic = await reports.clinic()
    admin = await reports.staff(clinic, StaffRole.CLINIC_ADMIN)
    vet = await reports.veterinarian(clinic)
    visit = await reports.visit(clinic, vet, T0)
    payment = await reports.payment(amount=100, currency="USD", paid_at=T0, appointment=visit)
    other = await reports.clinic()
    other_visit = await reports.visit(other, await reports.veterinarian(other), T0)
    about_clinic = await reports.audit("clinic", clinic.id, at=T0)
    about_visit = await reports.audit("appointment", visit.id, at=T0 + timedelta(minutes=1))
    about_payment = await reports.audit("payment", payment.id, at=T0 + timedelta(minutes=2))
    await reports.audit("appointment", other_visit.id, at=T0 + timedelta(minutes=3))
    await reports.audit("clinic", other.id, at=T0 + timedelta(minutes=4))

    page = await list_audit_entries(db_session, admin, clinic_id=clinic.id)

    assert [entry.id for entry in page.items] == [about_payment.id, about_visit.id, about_clinic.id]
    assert page.next_cursor is None


async def test_filters_by_entity_actor_action_and_time(
    db_session: AsyncSession, reports: ReportBuilder
) -> None:
    clinic = await reports.clinic()
    admin = await reports.staff(clinic, StaffRole.CLINIC_ADMIN)
    vet = await reports.veterinarian(clinic)
    first, second = (
        await reports.visit(clinic, vet, T0),
        await reports.visit(clinic, vet, T0 + timedelta(hours=1)),
    )
    alice, bob = uuid.uuid4(), uuid.uuid4()
    a = await reports.audit(
        "appointment", first.id, at=T0, actor_id=alice, action=AuditAction.CREATE
    )
    b = await reports.audit("appointment", first.id, at=T0 + timedelta(hours=1), actor_id=bob)
    c = await reports.audit(
        "appointment", second.id, at=T0 + timedelta(hours=2), actor_id=alice, request_id="req-9"
    )

    async def ids(**filters: object) -> list[uuid.UUID]:
        page = await list_audit_entries(db_session, admin, clinic_id=clinic.id, **filters)  # type: ignore[arg-type]
        return [entry.id for entry in page.items]

    assert await ids(entity_type="appointment", entity_id=first.id) == [b.id, a.id]
    assert await ids(actor_id=alice) == [c.id, a.id]
    assert await ids(actions=[AuditAction.CREATE]) == [a.id]
    assert await ids(since=T0 + timedelta(minutes=30), until=T0 + timedelta(hours=2)) == [b.id]
    assert await ids(request_id="req-9") == [c.id]


async def test_cursor_pages_newest_first_without_repeats(
    db_session: AsyncSession, reports: ReportBuilder
) -> None:
    clinic = await reports.clinic()
    admin = await reports.staff(clinic, StaffRole.CLINIC_ADMIN)
    entries = [
        await reports.audit("clinic", clinic.id, at=T0 + timedelta(minutes=i)) for i in range(5)
    ]
    # Two entries in the same instant: the id breaks the tie.
    entries.append(await reports.audit("clinic", clinic.id, at=T0 + timedelta(minutes=4)))

    seen: list[uuid.UUID] = []
    cursor = None
    while True:
        page = await list_audit_entries(
            db_session, admin, clinic_id=clinic.id, limit=2, cursor=cursor
        )
        seen.extend(entry.id for entry in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    expected = sorted(entries, key=lambda e: (e.occurred_at, e.id), reverse=True)
    assert seen == [entry.id for entry in expected]


async def test_platform_admins_query_any_actor_across_clinics(
    db_session: AsyncSession, reports: ReportBuilder
) -> None:
    actor_id = uuid.uuid4()
    pet_entry = await reports.audit("pet", uuid.uuid4(), at=T0, actor_id=actor_id)
    role_entry = await reports.audit(
        "user", uuid.uuid4(), at=T0 + timedelta(seconds=1), actor_id=actor_id
    )

    page = await list_audit_entries(db_session, PLATFORM_ADMIN, actor_id=actor_id)

    assert [entry.id for entry in page.items] == [role_entry.id, pet_entry.id]


async def test_audit_read_is_required(db_session: AsyncSession, reports: ReportBuilder) -> None:
    clinic = await reports.clinic()
    vet_staff = await reports.staff(clinic, StaffRole.VETERINARIAN)
    stranger_admin = await reports.staff(await reports.clinic(), StaffRole.CLINIC_ADMIN)

    with pytest.raises(PermissionDeniedException):
        await list_audit_entries(db_session, vet_staff, clinic_id=clinic.id)
    with pytest.raises(NotFoundException):
        await list_audit_entries(db_session, stranger_admin, clinic_id=clinic.id)
    with pytest.raises(PermissionDeniedException) as unscoped:
        await list_audit_entries(db_session, vet_staff)
    assert unscoped.value.code == "AUDIT_SCOPE_REQUIRED"
