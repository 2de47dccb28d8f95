"""When reminders are due, and how a clinic changes it: pure rules, no database."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from vet_core.exceptions import SchemaValidationException
from vet_core.models import Appointment, Vaccination
from vet_core.models.enums import ServiceType
from vet_services.reminders.rules import (
    ReminderPolicy,
    appointment_reminders,
    vaccination_reminders,
    wellness_reminders,
)

NEW_YORK = ZoneInfo("America/New_York")


def test_vaccination_reminders_go_out_14_and_3_days_before_at_10_local() -> None:
    # Due 20 March 2031; New York moves to EDT on 9 March, so the two sends differ in UTC offset.
    vaccination = Vaccination(
        id=uuid.uuid4(),
        pet_id=uuid.uuid4(),
        vaccine_name="Rabies",
        administered_at=datetime(2028, 3, 20, tzinfo=UTC),
        next_due_on=date(2031, 3, 20),
    )

    planned = vaccination_reminders(vaccination, ReminderPolicy(), NEW_YORK)

    assert [p.due_at for p in planned] == [
        datetime(2031, 3, 6, 15, 0, tzinfo=UTC),  # 10:00 EST
        datetime(2031, 3, 17, 14, 0, tzinfo=UTC),  # 10:00 EDT
    ]
    assert {p.title for p in planned} == {"Rabies vaccination due"}


def test_appointment_reminders_24_and_2_hours_before() -> None:
    starts = datetime(2031, 3, 5, 14, 30, tzinfo=UTC)
    appointment = Appointment(
        id=uuid.uuid4(),
        pet_id=uuid.uuid4(),
        service_type=ServiceType.DENTAL,
        starts_at=starts,
    )

    planned = appointment_reminders(appointment, ReminderPolicy())

    assert [p.due_at for p in planned] == [
        datetime(2031, 3, 4, 14, 30, tzinfo=UTC),
        datetime(2031, 3, 5, 12, 30, tzinfo=UTC),
    ]
    assert planned[0].title == "Appointment (dental)"


def test_wellness_exam_a_year_after_the_last_one() -> None:
    planned = wellness_reminders(uuid.uuid4(), date(2030, 4, 1), ReminderPolicy(), NEW_YORK)

    assert [p.due_at for p in planned] == [datetime(2031, 3, 18, 14, 0, tzinfo=UTC)]
    assert planned[0].notes == "Due 2031-04-01."


def test_a_clinic_overrides_lead_times_in_its_settings() -> None:
    policy = ReminderPolicy.from_settings(
        {
            "reminders": {
                "vaccination_lead_days": [7, 30],
                "appointment_lead_hours": [48],
                "send_at_local": "09:30",
            },
            "scheduling": {"slot_interval_minutes": 15},
        }
    )

    assert policy.vaccination_lead_days == (30, 7)
    assert policy.appointment_lead_hours == (48,)
    assert policy.send_at_local == time(9, 30)
    assert policy.refill_lead_days == ReminderPolicy().refill_lead_days


@pytest.mark.parametrize(
    "settings",
    [
        {"reminders": {"vaccination_lead_days": 14}},
        {"reminders": {"vaccination_lead_days": [-1]}},
        {"reminders": {"appointment_lead_hours": ["2"]}},
        {"reminders": {"vacination_lead_days": [14]}},
        {"reminders": {"send_at_local": "ten"}},
    ],
)
def test_invalid_clinic_settings_fail_loudly(settings: dict[str, object]) -> None:
    with pytest.raises(SchemaValidationException) as raised:
        ReminderPolicy.from_settings(settings)
    assert raised.value.code == "REMINDER_POLICY_INVALID"


def test_a_very_long_vaccine_name_still_fits_the_title() -> None:
    vaccination = Vaccination(
        id=uuid.uuid4(),
        pet_id=uuid.uuid4(),
        vaccine_name="Canine distemper, adenovirus, parainfluenza and parvovirus " * 4,
        administered_at=datetime(2028, 3, 20, tzinfo=UTC),
        next_due_on=date(2031, 3, 20),
    )

    [first, _] = vaccination_reminders(vaccination, ReminderPolicy(), NEW_YORK)

    assert len(first.title) == 200
    assert first.title.endswith("…")
