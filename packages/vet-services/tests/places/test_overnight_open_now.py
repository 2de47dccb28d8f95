"""Open now across midnight: an emergency clinic open 18:00-08:00 is open late on the day it
opens and early the next morning, in its own timezone, on daylight-saving nights too, and the
SQL rule of the search agrees with :class:`~vet_core.utils.business_hours.BusinessHours`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from places_builders import MANHATTAN, PlacesBuilder
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import Clinic, ClinicClosure, ClinicOperatingHours
from vet_core.utils.business_hours import BusinessHours
from vet_core.utils.clinic_hours import business_hours_from_records
from vet_services.places.emergency import create_emergency_request, emergency_options
from vet_services.places.search import ClinicFilters, open_now_clinic_ids, search_clinics

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = date(2026, 3, 2)
TUESDAY = MONDAY + timedelta(days=1)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK)


async def open_names(session: AsyncSession, now: datetime) -> list[str]:
    page = await search_clinics(
        session,
        latitude=MANHATTAN[0],
        longitude=MANHATTAN[1],
        filters=ClinicFilters(open_now=True),
        now=now,
    )
    return [hit.name for hit in page.items]


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        pytest.param(local(MONDAY, 17, 59), False, id="monday-17:59-before-opening"),
        pytest.param(local(MONDAY, 18), True, id="monday-18:00-opening"),
        pytest.param(local(MONDAY, 23), True, id="monday-23:00"),
        pytest.param(local(TUESDAY, 0), True, id="tuesday-midnight"),
        pytest.param(local(TUESDAY, 3), True, id="tuesday-03:00"),
        pytest.param(local(TUESDAY, 7, 59), True, id="tuesday-07:59"),
        pytest.param(local(TUESDAY, 8), False, id="tuesday-08:00-closed"),
        pytest.param(local(TUESDAY, 23), False, id="tuesday-23:00-no-tuesday-night"),
        pytest.param(local(MONDAY, 3), False, id="monday-03:00-no-sunday-night"),
    ],
)
async def test_a_monday_night_clinic_is_open_until_tuesday_morning(
    db_session: AsyncSession, places: PlacesBuilder, at: datetime, is_open: bool
) -> None:
    night = await places.clinic(
        "Night ER", weekdays=(1,), opens=time(18), closes=time(8), emergencies=True
    )
    await places.clinic("Day clinic", at=(MANHATTAN[0] + 0.01, MANHATTAN[1]))
    assert ("Night ER" in await open_names(db_session, at)) is is_open
    assert (night.id in await open_now_clinic_ids(db_session, [night.id], now=at)) is is_open
    options = await emergency_options(
        db_session, latitude=MANHATTAN[0], longitude=MANHATTAN[1], now=at
    )
    assert [option.name for option in options] == (["Night ER"] if is_open else [])


async def test_an_emergency_request_reaches_a_night_clinic_after_midnight(
    db_session: AsyncSession, places: PlacesBuilder
) -> None:
    night = await places.clinic(
        "Night ER", weekdays=(1,), opens=time(18), closes=time(8), emergencies=True
    )
    receipt = await create_emergency_request(
        db_session,
        None,
        clinic_id=night.id,
        description="dog ate chocolate",
        contact_phone="+12125550199",
        now=local(TUESDAY, 3),
    )
    assert receipt.clinic_id == night.id


async def _business_hours(session: AsyncSession, clinic: Clinic) -> BusinessHours:
    hours = (
        await session.execute(
            select(ClinicOperatingHours).where(ClinicOperatingHours.clinic_id == clinic.id)
        )
    ).scalars()
    closures = (
        await session.execute(select(ClinicClosure).where(ClinicClosure.clinic_id == clinic.id))
    ).scalars()
    return business_hours_from_records(clinic.timezone, list(hours), list(closures))


@pytest.mark.parametrize(
    "saturday",
    [
        pytest.param(date(2025, 3, 8), id="new-york-spring-forward"),
        pytest.param(date(2025, 11, 1), id="new-york-fall-back"),
        pytest.param(date(2026, 3, 7), id="ordinary-weekend"),
    ],
)
async def test_the_sql_rule_agrees_with_business_hours_across_midnight_and_dst(
    db_session: AsyncSession, places: PlacesBuilder, saturday: date
) -> None:
    every_day = (1, 2, 3, 4, 5, 6, 7)
    nights = await places.clinic(
        "Nights with breaks",
        weekdays=every_day,
        opens=time(18),
        closes=time(8),
        # One break across midnight, one in the spring gap (a break of no time that night).
        breaks=[{"start": "23:30", "end": "00:15"}, {"start": "02:00", "end": "02:45"}],
    )
    special = await places.clinic(
        "Special night", weekdays=every_day, at=(MANHATTAN[0] + 0.001, MANHATTAN[1])
    )
    # Saturday: open only 20:00 until 04:00 Sunday, instead of 08:00-18:00.
    await places.closure(special, saturday, opens=time(20), closes=time(4))
    closed_sunday = await places.clinic(
        "Closed Sunday",
        weekdays=every_day,
        opens=time(22),
        closes=time(6),
        at=(MANHATTAN[0] + 0.002, MANHATTAN[1]),
    )
    # Closed all Sunday: Saturday's night still runs until 06:00, Sunday's never starts.
    await places.closure(closed_sunday, saturday + timedelta(days=1))
    around_the_clock = await places.clinic(
        "Nine to nine",
        weekdays=(6,),
        opens=time(9),
        closes=time(9),
        at=(MANHATTAN[0] + 0.003, MANHATTAN[1]),
    )

    clinics = (nights, special, closed_sunday, around_the_clock)
    rules = {clinic.name: await _business_hours(db_session, clinic) for clinic in clinics}
    start = datetime.combine(saturday, time(12), tzinfo=NEW_YORK).astimezone(UTC)
    seen_open = dict.fromkeys(rules, 0)
    for quarter in range(4 * 30):
        at = start + timedelta(minutes=15 * quarter)
        found = set(await open_names(db_session, at))
        for name, business in rules.items():
            expected = business.is_open(at)
            assert (name in found) == expected, (name, at.astimezone(NEW_YORK))
            seen_open[name] += expected
    assert all(seen_open.values()), seen_open
