"""UUIDv7 keys, database-maintained timestamps and the guard triggers of migration 0002."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from vet_core.models import Appointment, AuditLog, Base, HealthRecord, Pet, User
from vet_core.models.base import tables_with_updated_at, uuid7, uuid7_timestamp_ms
from vet_core.models.enums import HealthRecordType

# --- UUIDv7 ---------------------------------------------------------------------------------


def test_uuid7_has_the_rfc_9562_layout():
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert before <= uuid7_timestamp_ms(value) <= after + 1


def test_uuid7_is_monotonic_even_within_one_millisecond():
    values = [uuid7() for _ in range(10_000)]
    assert values == sorted(values)
    assert len(set(values)) == len(values)


def test_uuid7_sorts_by_time_across_milliseconds():
    first = uuid7()
    time.sleep(0.003)
    second = uuid7()
    assert uuid7_timestamp_ms(first) < uuid7_timestamp_ms(second)
    assert first < second


async def test_primary_keys_are_uuid7_and_sort_in_insert_order(db_session, factory):
    owner = await factory.create(User)
    pets = [await factory.create(Pet, owner_id=owner.id, name=f"Pet {i}") for i in range(5)]
    assert all(pet.id.version == 7 for pet in pets)
    ordered = await db_session.execute(
        select(Pet.name).where(Pet.owner_id == owner.id).order_by(Pet.id)
    )
    assert list(ordered.scalars()) == [f"Pet {i}" for i in range(5)]


# --- created_at / updated_at ------------------------------------------------------------------


async def test_updated_at_is_maintained_by_the_trigger_on_orm_updates(db_session, factory):
    pet = await factory.create(Pet)
    created_at, updated_at = pet.created_at, pet.updated_at
    assert created_at.tzinfo is not None
    await asyncio.sleep(0.01)

    pet.name = "Renamed"
    await db_session.flush()
    # Fetched back with RETURNING (eager defaults), no lazy load needed.
    assert pet.updated_at > updated_at
    assert pet.created_at == created_at


async def test_updated_at_is_maintained_on_raw_sql_updates(db_session, factory):
    user = await factory.create(User)
    before = user.updated_at
    await asyncio.sleep(0.01)
    await db_session.execute(
        text("UPDATE users SET first_name = 'Grace' WHERE id = :id"), {"id": user.id}
    )
    after = (
        await db_session.execute(
            text("SELECT updated_at FROM users WHERE id = :id"), {"id": user.id}
        )
    ).scalar_one()
    assert after > before


async def test_every_table_with_updated_at_has_the_trigger(db_session):
    rows = await db_session.execute(
        text(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE t.tgname = 'trg_' || c.relname || '_set_updated_at' AND NOT t.tgisinternal"
        )
    )
    assert sorted(rows.scalars()) == tables_with_updated_at()
    assert len(tables_with_updated_at()) > 30
    assert "audit_logs" not in tables_with_updated_at()
    assert set(Base.metadata.tables) - set(tables_with_updated_at()) == {
        "audit_logs",
        "processed_webhook_events",
    }


# --- optimistic concurrency -----------------------------------------------------------------


async def test_appointment_version_increments_and_stale_updates_fail(db_session, factory):
    appointment = await factory.create(Appointment)
    assert appointment.version == 1
    appointment.notes = "Bring the vaccination card"
    await db_session.flush()
    assert appointment.version == 2

    # Another writer bumps the version behind the ORM's back.
    await db_session.execute(
        text("UPDATE appointments SET version = version + 1 WHERE id = :id"), {"id": appointment.id}
    )
    appointment.notes = "stale write"
    with pytest.raises(StaleDataError):
        async with db_session.begin_nested():
            await db_session.flush()


# --- guard triggers ---------------------------------------------------------------------------


async def test_a_locked_health_record_cannot_change_but_takes_addenda(db_session, factory):
    record = await factory.create(HealthRecord)
    record.locked_at = record.created_at
    record.locked_by = uuid7()
    await db_session.flush()

    with pytest.raises(IntegrityError, match="is locked"):
        async with db_session.begin_nested():
            await db_session.execute(
                text("UPDATE health_records SET notes = 'edited' WHERE id = :id"), {"id": record.id}
            )

    addendum = await factory.create(
        HealthRecord,
        pet_id=record.pet_id,
        record_type=HealthRecordType.ADDENDUM,
        amends_id=record.id,
        notes="Correction: left ear, not right.",
    )
    assert addendum.amends_id == record.id


async def test_audit_log_is_append_only(db_session, factory):
    entry = await factory.create(AuditLog)
    for statement in (
        "UPDATE audit_logs SET entity_type = 'other' WHERE id = :id",
        "DELETE FROM audit_logs WHERE id = :id",
    ):
        with pytest.raises(IntegrityError, match="append-only"):
            async with db_session.begin_nested():
                await db_session.execute(text(statement), {"id": entry.id})
    assert entry.occurred_at is not None
