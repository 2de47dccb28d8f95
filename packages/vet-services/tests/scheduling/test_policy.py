"""The scheduling policy read from a clinic's settings: defaults, overrides and refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from vet_core.exceptions import SchemaValidationException
from vet_core.models.enums import ServiceType
from vet_services.scheduling import SchedulingPolicy


def test_missing_settings_give_the_defaults():
    policy = SchedulingPolicy.from_mapping(None)
    assert policy == SchedulingPolicy()
    assert policy.hold_duration == timedelta(minutes=10)
    assert policy.duration_for(ServiceType.SURGERY, 30) == timedelta(minutes=120)


def test_a_clinic_overrides_only_what_it_lists():
    policy = SchedulingPolicy.from_mapping(
        {"slot_interval_minutes": 20, "service_minutes": {"dental": 90}}
    )
    assert policy.slot_interval == timedelta(minutes=20)
    assert policy.duration_for(ServiceType.DENTAL, 30) == timedelta(minutes=90)
    assert policy.duration_for(ServiceType.VACCINATION, 30) == timedelta(minutes=15)


@pytest.mark.parametrize(
    "settings",
    [
        {"slot_interval_minutes": 0},
        {"slot_interval_minutes": "15"},
        {"buffer_after_minutes": -5},
        {"hold_minutes": True},
        {"max_horizon_days": 10_000},
        {"service_minutes": {"dental": 1}},
        {"service_minutes": {"haircut": 30}},
        {"service_minutes": [30]},
        {"slot_minutes": 15},
    ],
    ids=repr,
)
def test_invalid_settings_are_refused_loudly(settings):
    with pytest.raises(SchemaValidationException) as raised:
        SchedulingPolicy.from_mapping(settings)
    assert raised.value.code == "SCHEDULING_POLICY_INVALID"


def test_the_policy_cannot_be_changed_after_construction():
    policy = SchedulingPolicy()
    with pytest.raises(AttributeError):
        policy.hold_minutes = 60  # type: ignore[misc]
    with pytest.raises(TypeError):
        policy.service_minutes[ServiceType.DENTAL] = 5  # type: ignore[index]
