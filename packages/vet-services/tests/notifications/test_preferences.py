"""Preferences read from ``User.preferences``: channels, quiet hours on the user's own clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from vet_core.models import User
from vet_core.models.enums import NotificationChannel
from vet_services.notifications.preferences import (
    allowed_channels,
    next_allowed_send_time,
    read_preferences,
)


def user(**preferences: Any) -> User:
    return User(
        email="dana@example.com", first_name="Dana", last_name="Rivera", preferences=preferences
    )


QUIET_NIGHTS = {"timezone": "America/New_York", "quiet_hours": {"start": "22:00", "end": "07:00"}}


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # 03:00 EST -> 07:00 EST the same morning
        (datetime(2031, 1, 15, 8, 0, tzinfo=UTC), datetime(2031, 1, 15, 12, 0, tzinfo=UTC)),
        # 23:30 EST -> 07:00 EST the next morning
        (datetime(2031, 1, 16, 4, 30, tzinfo=UTC), datetime(2031, 1, 16, 12, 0, tzinfo=UTC)),
        # 10:00 EST is outside quiet hours: unchanged
        (datetime(2031, 1, 15, 15, 0, tzinfo=UTC), datetime(2031, 1, 15, 15, 0, tzinfo=UTC)),
        # The night the clocks go forward (9 March 2031): 07:00 is already EDT (11:00 UTC)
        (datetime(2031, 3, 9, 8, 0, tzinfo=UTC), datetime(2031, 3, 9, 11, 0, tzinfo=UTC)),
    ],
)
def test_quiet_hours_end_on_the_users_wall_clock(at: datetime, expected: datetime) -> None:
    assert next_allowed_send_time(user(**QUIET_NIGHTS), at) == expected


def test_quiet_hours_within_one_day_and_the_clinic_zone_as_fallback() -> None:
    siesta = user(quiet_hours={"start": "13:00", "end": "16:00"})
    # No timezone of their own: the clinic's (Madrid, CET) is used; 14:00 CET -> 16:00 CET.
    at = datetime(2031, 1, 15, 13, 0, tzinfo=UTC)

    assert next_allowed_send_time(siesta, at, fallback_timezone="Europe/Madrid") == datetime(
        2031, 1, 15, 15, 0, tzinfo=UTC
    )


def test_channels_need_an_address_and_respect_per_category_choices() -> None:
    owner = user(
        notification_channels=["sms", "email", "push", "in_app"],
        push_tokens=[],
        channels_by_category={"reminder": ["email", "sms", "push"]},
    )

    # No phone, no device token: SMS and push cannot reach them; in-app is not wanted here.
    assert allowed_channels(owner) == [NotificationChannel.EMAIL]


def test_invalid_preferences_fall_back_field_by_field() -> None:
    owner = user(timezone="Mars/Olympus", language="en", notification_channels=["sms"])

    preferences = read_preferences(owner)

    assert preferences.timezone is None
    assert preferences.notification_channels == [NotificationChannel.SMS]
