"""Marking no-shows: overdue, never checked-in appointments become ``no_show`` in one set-based
update, after the clinic's grace period, once, and nothing else is touched."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from factories import Builder, Practice, make_practice
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.database import SessionFactory
from vet_core.exceptions import SchemaValidationException
from vet_core.models import Appointment
from vet_core.models.enums import AppointmentStatus
from vet_services.scheduling import SchedulingPolicy, mark_no_shows

S = AppointmentStatus
#: Thursday 6 March 2031, 15:00 UTC.
NOW = datetime(2031, 3, 6, 15, 0, tzinfo=UTC)


async def _visit(
    build: Builder,
    practice: Practice,
    ends_ago: timedelta,
    status: S = S.SCHEDULED,
    **values: object,
) -> Appointment:
    appointment = await build.appointment(
        vet=practice.vet,
        clinic=practice.clinic,
        pet=practice.pet,
        starts_at=NOW - ends_ago - timedelta(minutes=30),
        status=status,
    )
    for name, value in values.items():
        setattr(appointment, name, value)
    await build.session.flush()
    return appointment


async def test_overdue_scheduled_and_confirmed_visits_become_no_shows_once(
    build: Builder, db_session: AsyncSession, practice: Practice
) -> None:
    scheduled = await _visit(build, practice, timedelta(hours=3))
    confirmed = await _visit(build, practice, timedelta(hours=2), S.CONFIRMED)
    in_grace = await _visit(build, practice, timedelta(minutes=20), S.CONFIRMED)
    checked_in = await _visit(
        build, practice, timedelta(hours=4), S.CHECKED_IN, checked_in_at=NOW - timedelta(hours=5)
    )
    completed = await _visit(build, practice, timedelta(hours=5), S.COMPLETED)
    cancelled = await _visit(build, practice, timedelta(hours=6), S.CANCELLED)
    requested = await _visit(build, practice, timedelta(hours=7), S.REQUESTED)
    mine = {
        a.id for a in (scheduled, confirmed, in_grace, checked_in, completed, cancelled, requested)
    }

    marked = [m for m in await mark_no_shows(db_session, now=NOW) if m.appointment_id in mine]
    again = [m for m in await mark_no_shows(db_session, now=NOW) if m.appointment_id in mine]

    assert [m.appointment_id for m in marked] == [scheduled.id, confirmed.id]  # oldest first
    assert marked[0].clinic_id == practice.clinic.id
    assert marked[0].pet_id == practice.pet.id
    assert again == []
    # The objects this session holds were brought up to date by the update.
    assert (scheduled.status, confirmed.status) == (S.NO_SHOW, S.NO_SHOW)
    assert scheduled.version == 2
    assert scheduled.updated_by is None
    assert [a.status for a in (in_grace, checked_in, completed, cancelled, requested)] == [
        S.CONFIRMED,
        S.CHECKED_IN,
        S.COMPLETED,
        S.CANCELLED,
        S.REQUESTED,
    ]
    later = [
        m.appointment_id
        for m in await mark_no_shows(db_session, now=NOW + timedelta(minutes=15))
        if m.appointment_id in mine
    ]
    assert later == [in_grace.id]


async def test_the_clinics_grace_period_and_the_default_are_honoured(
    build: Builder, db_session: AsyncSession, practice: Practice
) -> None:
    practice.clinic.settings = {"scheduling": {"no_show_grace_minutes": 120}}
    await db_session.flush()
    ended_an_hour_ago = await _visit(build, practice, timedelta(hours=1))

    assert ended_an_hour_ago.id not in {
        m.appointment_id for m in await mark_no_shows(db_session, now=NOW)
    }
    assert ended_an_hour_ago.id in {
        m.appointment_id
        for m in await mark_no_shows(db_session, now=NOW + timedelta(hours=1, minutes=1))
    }

    practice.clinic.settings = {}
    await db_session.flush()
    other = await _visit(build, practice, timedelta(minutes=10))
    found = await mark_no_shows(db_session, now=NOW, default_grace_minutes=5)
    assert other.id in {m.appointment_id for m in found}


def test_the_grace_period_is_a_validated_scheduling_setting() -> None:
    assert SchedulingPolicy().no_show_grace == timedelta(minutes=30)
    assert SchedulingPolicy.from_mapping({"no_show_grace_minutes": 45}).no_show_grace_minutes == 45
    with pytest.raises(SchemaValidationException) as refused:
        SchedulingPolicy.from_mapping({"no_show_grace_minutes": -1})
    assert refused.value.details == {"field": "no_show_grace_minutes"}


async def test_two_sweeps_at_once_mark_each_appointment_once(
    committed_session_factory: SessionFactory,
) -> None:
    async with committed_session_factory() as session, session.begin():
        build = Builder(session)
        practice = await make_practice(build)
        visits = [
            await build.appointment(
                vet=practice.vet,
                clinic=practice.clinic,
                pet=practice.pet,
                starts_at=NOW - timedelta(hours=10) + timedelta(minutes=30 * n),
            )
            for n in range(6)
        ]
    mine = {visit.id for visit in visits}

    async def sweep() -> list[object]:
        async with committed_session_factory() as session, session.begin():
            return [m.appointment_id for m in await mark_no_shows(session, now=NOW, limit=4)]

    first, second = await asyncio.gather(sweep(), sweep())
    swept = [i for i in first + second if i in mine]
    for _ in range(20):  # the rest (other tests' rows may share the batches)
        more = await sweep()
        swept += [i for i in more if i in mine]
        if not more:
            break
    assert sorted(map(str, swept)) == sorted(map(str, mine))
    assert len(swept) == len(set(swept))
