"""Clinic search: nearest first within a radius, every filter, open-now in each clinic's zone."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from places_builders import (
    BROOKLYN,
    MANHATTAN,
    MONDAY_10AM_NEW_YORK,
    NEWARK,
    PHILADELPHIA,
    TOKYO,
    PlacesBuilder,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import SchemaValidationException
from vet_core.models import ClinicClosure, ClinicOperatingHours
from vet_core.models.enums import Species
from vet_core.utils.clinic_hours import business_hours_from_records
from vet_services.places.search import ClinicFilters, search_clinics

NOW = MONDAY_10AM_NEW_YORK


async def names(session: AsyncSession, **kwargs: object) -> list[str]:
    params: dict[str, object] = {"latitude": MANHATTAN[0], "longitude": MANHATTAN[1], "now": NOW}
    params.update(kwargs)
    page = await search_clinics(session, **params)  # type: ignore[arg-type]
    return [hit.name for hit in page.items]


async def test_nearest_first_and_only_within_the_radius(
    db_session: AsyncSession, places: PlacesBuilder
) -> None:
    await places.clinic("Newark", at=NEWARK)
    await places.clinic("Brooklyn", at=BROOKLYN)
    await places.clinic("Midtown", at=(MANHATTAN[0] + 0.001, MANHATTAN[1]))
    await places.clinic("Philadelphia", at=PHILADELPHIA)

    page = await search_clinics(
        db_session, latitude=MANHATTAN[0], longitude=MANHATTAN[1], radius_km=25, now=NOW
    )

    assert [hit.name for hit in page.items] == ["Midtown", "Brooklyn", "Newark"]
    distances = [hit.distance_m for hit in page.items]
    assert distances == sorted(distances)
    assert 100 < distances[0] < 130  # 0.001° of latitude ≈ 111 m
    assert await names(db_session, radius_km=5) == ["Midtown"]
    assert "Philadelphia" in await names(db_session, radius_km=150)


async def test_cursor_pages_through_every_hit_once(
    db_session: AsyncSession, places: PlacesBuilder
) -> None:
    for index in range(7):
        await places.clinic(f"Clinic {index}", at=(MANHATTAN[0] + 0.01 * index, MANHATTAN[1]))

    seen: list[str] = []
    cursor = None
    while True:
        page = await search_clinics(
            db_session,
            latitude=MANHATTAN[0],
            longitude=MANHATTAN[1],
            limit=3,
            cursor=cursor,
            now=NOW,
        )
        seen.extend(hit.name for hit in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break

    assert seen == [f"Clinic {index}" for index in range(7)]


async def test_emergency_and_new_patient_filters(
    db_session: AsyncSession, places: PlacesBuilder
) -> None:
    await places.clinic("Emergency", emergencies=True, new_patients=False)
    await places.clinic("Welcoming", new_patients=True)

    assert await names(db_session, filters=ClinicFilters(emergency=True)) == ["Emergency"]
    assert await names(db_session, filters=ClinicFilters(accepting_new_patients=True)) == [
        "Welcoming"
    ]


async def test_service_filter_matches_a_service_slug(
    db_session: AsyncSession, places: PlacesBuilder
) -> None:
    await places.clinic("Dental", services=["dentistry", "surgery"])
    await places.clinic("Plain", services=["vaccination"])

    assert await names(db_session, filters=ClinicFilters(service="Dentistry")) == ["Dental"]


async def test_species_filter_uses_vets_expertise_or_clinic_services(
    db_session: AsyncSession, places: PlacesBuilder
) -> None:
    exotic = await places.clinic("Exotic vets", at=(MANHATTAN[0] + 0.01, MANHATTAN[1]))
    await places.veterinarian(exotic, [Species.REPTILE, Species.BIRD])
    await places.clinic("Listed reptiles", services=["reptile"])
    dogs = await places.clinic("Dogs only")
    await places.veterinarian(dogs, [Species.DOG])

    assert await names(db_session, filters=ClinicFilters(species=Species.REPTILE)) == [
        "Listed reptiles",
        "Exotic vets",
    ]


async def test_open_now_is_judged_in_each_clinics_own_timezone(
    db_session: AsyncSession, places: PlacesBuilder
) -> None:
    # 15:00 UTC on a Monday: 10:00 in New York, midnight going into Tuesday in Tokyo.
    await places.clinic("New York", at=MANHATTAN, timezone="America/New_York")
    await places.clinic("Tokyo", at=TOKYO, timezone="Asia/Tokyo")

    open_filter = ClinicFilters(open_now=True)
    assert await names(db_session, filters=open_filter) == ["New York"]
    tokyo = {"latitude": TOKYO[0], "longitude": TOKYO[1], "filters": open_filter}
    assert await names(db_session, **tokyo) == []
    # Four hours later it is 14:00 Tuesday in Tokyo and 14:00 Monday in New York: both open.
    later = NOW + timedelta(hours=13)  # 04:00 in New York (closed), 13:00 in Tokyo (open)
    assert await names(db_session, **tokyo, now=later) == ["Tokyo"]
    assert await names(db_session, filters=open_filter, now=later) == []


async def test_open_now_respects_breaks_closures_special_hours_and_24h(
    db_session: AsyncSession, places: PlacesBuilder
) -> None:
    lunch = await places.clinic("Lunch break", breaks=[{"start": "09:30", "end": "10:30"}])
    holiday = await places.clinic("Holiday", at=(MANHATTAN[0] + 0.001, MANHATTAN[1]))
    await places.closure(holiday, date(2026, 3, 2))
    short_day = await places.clinic("Short day", at=(MANHATTAN[0] + 0.002, MANHATTAN[1]))
    await places.closure(short_day, date(2026, 3, 2), opens=time(7), closes=time(9))
    extra = await places.clinic(
        "Sunday clinic", weekdays=(), at=(MANHATTAN[0] + 0.003, MANHATTAN[1])
    )
    await places.closure(extra, date(2026, 3, 2), opens=time(9), closes=time(11))
    await places.clinic("Always", open_24h=True, at=(MANHATTAN[0] + 0.004, MANHATTAN[1]))

    assert await names(db_session, filters=ClinicFilters(open_now=True)) == [
        "Sunday clinic",
        "Always",
    ]
    # The SQL rule agrees with the platform's BusinessHours for every one of them, all day.
    for clinic in (lunch, holiday, short_day, extra):
        hours = (
            await db_session.execute(
                select(ClinicOperatingHours).where(ClinicOperatingHours.clinic_id == clinic.id)
            )
        ).scalars()
        closures = (
            await db_session.execute(
                select(ClinicClosure).where(ClinicClosure.clinic_id == clinic.id)
            )
        ).scalars()
        business = business_hours_from_records(clinic.timezone, list(hours), list(closures))
        for half_hours in range(48):
            at = NOW - timedelta(hours=10) + timedelta(minutes=30 * half_hours)
            found = clinic.name in await names(
                db_session, filters=ClinicFilters(open_now=True), now=at
            )
            assert found == business.is_open(at), (clinic.name, at)


async def test_full_text_search_matches_name_words_and_services(
    db_session: AsyncSession, places: PlacesBuilder
) -> None:
    await places.clinic("Harbor Cat Clinic", services=["grooming"])
    await places.clinic("Uptown Animal Hospital", services=["surgery"])

    assert await names(db_session, filters=ClinicFilters(text="cat clinic")) == [
        "Harbor Cat Clinic"
    ]
    assert await names(db_session, filters=ClinicFilters(text="surgery")) == [
        "Uptown Animal Hospital"
    ]


async def test_fuzzy_name_search_forgives_misspellings(
    db_session: AsyncSession, places: PlacesBuilder
) -> None:
    await places.clinic("Greenwich Veterinary Practice")
    await places.clinic("Downtown Pet Spa")

    page = await search_clinics(
        db_session,
        latitude=MANHATTAN[0],
        longitude=MANHATTAN[1],
        filters=ClinicFilters(fuzzy_name="vetrinary"),
        now=NOW,
    )

    assert [hit.name for hit in page.items] == ["Greenwich Veterinary Practice"]
    assert page.items[0].name_similarity is not None
    assert page.items[0].name_similarity >= 0.5


@pytest.mark.parametrize(
    ("field", "value"),
    [("radius_km", 0), ("radius_km", 500), ("limit", 0), ("latitude", 91), ("cursor", "%%")],
)
async def test_rejects_out_of_range_input(
    db_session: AsyncSession, field: str, value: object
) -> None:
    with pytest.raises(SchemaValidationException):
        await names(db_session, **{field: value})
