"""Times off the calendar: emergencies skip notice and hours but not the horizon; holds too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from factories import NOW, Practice

from vet_core.exceptions import BusinessRuleException
from vet_core.models.enums import AppointmentPriority, ServiceType
from vet_services.scheduling import BookingRequest, book_appointment, create_hold


def emergency(practice: Practice, starts_at: datetime) -> BookingRequest:
    return BookingRequest(
        pet_id=practice.pet.id,
        veterinarian_id=practice.vet.id,
        clinic_id=practice.clinic.id,
        service_type=ServiceType.EMERGENCY,
        starts_at=starts_at,
        priority=AppointmentPriority.EMERGENCY,
    )


@pytest.mark.parametrize(
    ("starts_at", "code"),
    [
        (datetime(9999, 12, 31, 23, 30, tzinfo=UTC), "APPOINTMENT_BEYOND_HORIZON"),
        (datetime(1, 1, 1, 0, 10, tzinfo=UTC), "APPOINTMENT_TOO_FAR_IN_THE_PAST"),
        (NOW - timedelta(days=2), "APPOINTMENT_TOO_FAR_IN_THE_PAST"),
    ],
)
async def test_an_emergency_far_from_now_is_refused(
    db_session, practice: Practice, starts_at: datetime, code: str
) -> None:
    with pytest.raises(BusinessRuleException) as refused:
        await book_appointment(
            db_session, practice.receptionist.actor, emergency(practice, starts_at), now=NOW
        )
    assert refused.value.code == code


async def test_an_emergency_seen_an_hour_ago_is_recorded(db_session, practice: Practice) -> None:
    booked = await book_appointment(
        db_session,
        practice.receptionist.actor,
        emergency(practice, NOW - timedelta(hours=1)),
        now=NOW,
    )
    assert booked.starts_at == NOW - timedelta(hours=1)


@pytest.mark.parametrize(
    "starts_at", [datetime(9999, 12, 31, 23, 30, tzinfo=UTC), datetime(1, 1, 1, 0, 10, tzinfo=UTC)]
)
async def test_a_hold_off_the_calendar_is_refused_like_any_unbookable_time(
    db_session, practice: Practice, starts_at: datetime
) -> None:
    with pytest.raises(BusinessRuleException) as refused:
        await create_hold(
            db_session,
            practice.owner.actor,
            veterinarian_id=practice.vet.id,
            clinic_id=practice.clinic.id,
            pet_id=practice.pet.id,
            service_type=ServiceType.WELLNESS_EXAM,
            starts_at=starts_at,
            now=NOW,
        )
    assert refused.value.code == "APPOINTMENT_OUTSIDE_AVAILABILITY"
