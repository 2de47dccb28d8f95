"""Two clinicians editing one record at the same moment, on two real connections: the row
lock serialises them and the second, holding a stale version, is refused."""

from __future__ import annotations

import asyncio

import pytest

from vet_core.models.enums import HealthRecordType
from vet_core.schemas.clinical import HealthRecordCreate, HealthRecordUpdate
from vet_services.clinical.concurrency import PreconditionFailed
from vet_services.clinical.records import (
    create_health_record,
    get_health_record,
    record_version,
    update_health_record,
)


async def test_the_second_of_two_simultaneous_edits_gets_version_mismatch(
    committed_session_factory, practice_in
):
    async with committed_session_factory() as session:
        practice = await practice_in(session)
        record = await create_health_record(
            session,
            practice.vet.actor,
            HealthRecordCreate(
                pet_id=practice.pet.id, record_type=HealthRecordType.NOTE, title="Draft"
            ),
        )
        read_by_both = record_version(record)
        await session.commit()

    async with committed_session_factory() as first, committed_session_factory() as second:
        await update_health_record(
            first,
            practice.vet.actor,
            record.id,
            HealthRecordUpdate(title="First"),
            expected_version=read_by_both,
        )  # holds the row lock until it commits
        contender = asyncio.create_task(
            update_health_record(
                second,
                practice.tech.actor,
                record.id,
                HealthRecordUpdate(title="Second"),
                expected_version=read_by_both,
            )
        )
        await asyncio.sleep(0.3)
        assert not contender.done()  # waiting for the lock, not racing past it
        await first.commit()
        with pytest.raises(PreconditionFailed):
            await contender
        await second.rollback()

    async with committed_session_factory() as session:
        final = await get_health_record(session, practice.owner.actor, record.id)
        assert final.title == "First"
