"""Emergency routing: open emergency clinics ranked by distance and load; requests notify."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import Builder
from places_builders import MANHATTAN, MONDAY_10AM_NEW_YORK, PlacesBuilder
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import (
    BusinessRuleException,
    NotFoundException,
    SchemaValidationException,
)
from vet_core.models.enums import AppointmentStatus, Species
from vet_core.models.outbox import OutboxEvent
from vet_services.places.emergency import (
    DEFAULT_AFTER_HOURS_INSTRUCTIONS,
    NOTIFY_TOPIC,
    create_emergency_request,
    emergency_options,
)

NOW = MONDAY_10AM_NEW_YORK


def north_of_manhattan(km: float) -> tuple[float, float]:
    return (MANHATTAN[0] + km / 111.2, MANHATTAN[1])


async def options(session: AsyncSession, **kwargs: object) -> list[str]:
    found = await emergency_options(
        session,
        latitude=MANHATTAN[0],
        longitude=MANHATTAN[1],
        now=NOW,
        **kwargs,  # type: ignore[arg-type]
    )
    return [option.name for option in found]


async def test_only_open_emergency_clinics_nearest_first(
    db_session: AsyncSession, places: PlacesBuilder
) -> None:
    await places.clinic("Far ER", at=north_of_manhattan(12), emergencies=True, open_24h=True)
    await places.clinic("Near ER", at=north_of_manhattan(2), emergencies=True, open_24h=True)
    await places.clinic("No emergencies", at=north_of_manhattan(1))
    await places.clinic("Closed ER", at=north_of_manhattan(1), emergencies=True, weekdays=(6, 7))

    assert await options(db_session) == ["Near ER", "Far ER"]


async def test_a_busy_clinic_ranks_below_a_slightly_further_idle_one(
    db_session: AsyncSession, places: PlacesBuilder
) -> None:
    busy = await places.clinic("Busy", at=north_of_manhattan(2), emergencies=True, open_24h=True)
    await places.clinic("Idle", at=north_of_manhattan(4), emergencies=True, open_24h=True)
    await places.patients_in_care(busy, 2, now=NOW, status=AppointmentStatus.IN_PROGRESS)

    found = await emergency_options(
        db_session, latitude=MANHATTAN[0], longitude=MANHATTAN[1], now=NOW
    )

    assert [o.name for o in found] == ["Idle", "Busy"]
    assert [o.patients_in_care for o in found] == [0, 2]
    assert found[0].estimated_minutes_to_care < found[1].estimated_minutes_to_care
    assert found[0].phone == "+12125550100"


async def test_checked_in_counts_as_load_but_finished_or_stale_visits_do_not(
    db_session: AsyncSession, places: PlacesBuilder
) -> None:
    clinic = await places.clinic("ER", emergencies=True, open_24h=True)
    await places.patients_in_care(clinic, 1, now=NOW, status=AppointmentStatus.CHECKED_IN)
    await places.patients_in_care(clinic, 1, now=NOW, status=AppointmentStatus.COMPLETED)
    await places.patients_in_care(
        clinic, 1, now=NOW - timedelta(days=1), status=AppointmentStatus.IN_PROGRESS
    )

    [option] = await emergency_options(
        db_session, latitude=MANHATTAN[0], longitude=MANHATTAN[1], now=NOW
    )

    assert option.patients_in_care == 1


async def test_after_hours_instructions_come_from_clinic_settings(
    db_session: AsyncSession, places: PlacesBuilder
) -> None:
    await places.clinic(
        "Night bell",
        emergencies=True,
        open_24h=True,
        settings={"emergency": {"after_hours_instructions": "Ring the night bell at door B."}},
    )
    await places.clinic("Plain ER", emergencies=True, open_24h=True, at=north_of_manhattan(1))

    found = await emergency_options(
        db_session, latitude=MANHATTAN[0], longitude=MANHATTAN[1], now=NOW
    )

    assert [o.after_hours_instructions for o in found] == [
        "Ring the night bell at door B.",
        DEFAULT_AFTER_HOURS_INSTRUCTIONS,
    ]


async def test_an_emergency_request_queues_a_notification_for_the_clinic(
    db_session: AsyncSession, places: PlacesBuilder
) -> None:
    clinic = await places.clinic("ER", emergencies=True, open_24h=True, at=north_of_manhattan(3))

    receipt = await create_emergency_request(
        db_session,
        None,
        clinic_id=clinic.id,
        description="Dog ate chocolate",
        contact_phone="+12125550199",
        species=Species.DOG,
        latitude=MANHATTAN[0],
        longitude=MANHATTAN[1],
        now=NOW,
    )

    [event] = (
        (await db_session.execute(select(OutboxEvent).where(OutboxEvent.topic == NOTIFY_TOPIC)))
        .scalars()
        .all()
    )
    assert event.payload["reference"] == str(receipt.reference)
    assert event.payload["clinic_id"] == str(clinic.id)
    assert event.payload["description"] == "Dog ate chocolate"
    assert event.payload["species"] == "dog"
    assert receipt.phone == "+12125550100"
    assert receipt.distance_m is not None
    assert 2900 < receipt.distance_m < 3100


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"emergencies": False, "open_24h": True}, "CLINIC_NOT_EMERGENCY_CAPABLE"),
        ({"emergencies": True, "weekdays": (6, 7)}, "CLINIC_CLOSED"),
    ],
)
async def test_requests_to_unsuitable_clinics_are_refused(
    db_session: AsyncSession, places: PlacesBuilder, kwargs: dict[str, object], code: str
) -> None:
    clinic = await places.clinic("Nope", **kwargs)  # type: ignore[arg-type]

    with pytest.raises(BusinessRuleException) as raised:
        await create_emergency_request(
            db_session,
            None,
            clinic_id=clinic.id,
            description="Cat hit by car",
            contact_phone="+12125550199",
            now=NOW,
        )

    assert raised.value.code == code


async def test_only_a_signed_in_caller_may_name_a_pet_and_only_one_they_may_see(
    db_session: AsyncSession, places: PlacesBuilder, build: Builder
) -> None:
    clinic = await places.clinic("ER", emergencies=True, open_24h=True)
    owner, stranger = await build.owner(), await build.owner()
    pet = await build.pet(owner)
    request = {
        "clinic_id": clinic.id,
        "description": "Swallowed a sock",
        "contact_phone": "+12125550199",
        "pet_id": pet.id,
        "now": NOW,
    }

    with pytest.raises(NotFoundException):
        await create_emergency_request(db_session, stranger.actor, **request)
    with pytest.raises(SchemaValidationException) as anonymous:
        await create_emergency_request(db_session, None, **request)
    assert anonymous.value.details["field"] == "pet_id"
    await create_emergency_request(db_session, owner.actor, **request)

    [event] = (
        await db_session.scalars(select(OutboxEvent).where(OutboxEvent.topic == NOTIFY_TOPIC))
    ).all()
    assert event.payload["pet_id"] == str(pet.id)
    assert event.payload["species"] == "dog"
