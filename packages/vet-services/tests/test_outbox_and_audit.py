"""The outbox and the audit log live and die with the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from vet_core.database import transaction
from vet_core.models.audit import AuditLog
from vet_core.models.enums import ActorType, AuditAction, OutboxStatus, StaffRole, UserRole
from vet_core.models.outbox import OutboxEvent
from vet_services.audit import diff, record_change
from vet_services.auth.permissions import Actor
from vet_services.context import RequestContext, request_context
from vet_services.outbox import enqueue


async def test_enqueue_records_a_pending_job_once_per_dedup_key(db_session):
    assert await enqueue(db_session, "reminders.send", {"id": "1"}, dedup_key="rem:1")
    assert not await enqueue(db_session, "reminders.send", {"id": "1"}, dedup_key="rem:1")
    assert await enqueue(db_session, "reports.build", {"clinic": "x"})
    rows = (await db_session.scalars(select(OutboxEvent).order_by(OutboxEvent.topic))).all()
    assert [(r.topic, r.status) for r in rows] == [
        ("reminders.send", OutboxStatus.PENDING),
        ("reports.build", OutboxStatus.PENDING),
    ]


async def test_a_rolled_back_change_leaves_no_job(committed_session_factory):
    with pytest.raises(RuntimeError):
        async with transaction(committed_session_factory) as session:
            await enqueue(session, "emails.send", {"to": "a@example.com"})
            raise RuntimeError("the change failed")
    async with transaction(committed_session_factory) as session:
        assert await session.scalar(select(func.count()).select_from(OutboxEvent)) == 0


def test_diff_lists_only_changed_fields_as_json():
    when = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    changes = diff(
        {"status": "scheduled", "price": Decimal("10.00"), "notes": "a"},
        {"status": "confirmed", "price": Decimal("10.00"), "notes": "a", "confirmed_at": when},
    )
    assert changes == {
        "confirmed_at": {"before": None, "after": "2026-01-02T03:04:00+00:00"},
        "status": {"before": "scheduled", "after": "confirmed"},
    }


async def test_record_change_carries_actor_request_and_changes(db_session):
    actor = Actor(
        role=UserRole.VETERINARIAN,
        user_id=uuid.uuid4(),
        memberships={uuid.uuid4(): StaffRole.VETERINARIAN},
    )
    token = request_context.set(RequestContext(request_id="req_42", ip_address="203.0.113.9"))
    try:
        entry = await record_change(
            db_session,
            actor,
            AuditAction.UPDATE,
            "appointment",
            uuid.uuid4(),
            before={"status": "scheduled"},
            after={"status": "confirmed"},
        )
    finally:
        request_context.reset(token)
    stored = await db_session.get(AuditLog, entry.id)
    assert stored.actor_type is ActorType.USER
    assert stored.actor_id == actor.user_id
    assert stored.request_id == "req_42"
    assert str(stored.ip_address) == "203.0.113.9"
    assert stored.changes == {"status": {"before": "scheduled", "after": "confirmed"}}


async def test_the_audit_log_cannot_be_rewritten(db_session):
    entry = await record_change(db_session, None, AuditAction.DELETE, "pet", uuid.uuid4())
    assert entry.actor_type is ActorType.SYSTEM
    with pytest.raises(Exception, match="append-only"):
        async with db_session.begin_nested():
            await db_session.execute(text("UPDATE audit_logs SET entity_type = 'x'"))
