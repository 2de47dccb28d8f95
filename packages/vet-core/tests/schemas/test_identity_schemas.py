"""User and API key schemas."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

import pytest
from pydantic import BaseModel

from vet_core.models.enums import NotificationChannel, UserRole, UserStatus
from vet_core.models.identity import ApiKey, User
from vet_core.schemas.identity import (
    ApiKeyCreate,
    ApiKeyResponse,
    UserAdminUpdate,
    UserCreate,
    UserResponse,
    UserStaffResponse,
    UserUpdate,
)

ErrorsOf = Callable[[type[BaseModel], dict[str, Any]], dict[str, str]]


def signup(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "clerk_user_id": "user_2abcXYZ",
        "email": "Ana.Lima@Example.COM",
        "first_name": " Ana ",
        "last_name": "Lima-Souza",
        "phone": "+55 11 91234-5678",
    }
    data.update(overrides)
    return data


def test_user_create_normalises() -> None:
    user = UserCreate.model_validate(signup())
    assert user.email == "Ana.Lima@example.com"
    assert user.first_name == "Ana"
    assert user.phone == "+5511912345678"
    assert user.role is UserRole.PET_OWNER
    assert user.preferences.language == "en"
    assert user.preferences.notification_channels == [
        NotificationChannel.EMAIL,
        NotificationChannel.IN_APP,
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "ana@"}, "email", "is not valid"),
        ({"first_name": "Ana2"}, "first_name", "first_name may contain only letters"),
        ({"last_name": ""}, "last_name", "last_name must not be empty"),
        ({"phone": "91234-5678"}, "phone", "has no country code"),
        ({"role": "superuser"}, "role", "Input should be"),
        ({"clerk_user_id": ""}, "clerk_user_id", "at least 1 character"),
        ({"preferences": {"timezone": "Brazil/Sao_Paulo_X"}}, "preferences.timezone", "IANA"),
        ({"preferences": {"language": "English"}}, "preferences.language", "pattern"),
        (
            {"preferences": {"notification_channels": ["pigeon"]}},
            "preferences.notification_channels.0",
            "Input should be",
        ),
        (
            {"preferences": {"quiet_hours": {"start": "22:00", "end": "22:00"}}},
            "preferences.quiet_hours",
            "start and end must differ",
        ),
        ({"preferences": {"theme": "dark"}}, "preferences.theme", "Extra inputs"),
    ],
)
def test_user_create_rejects(
    overrides: dict[str, Any], field: str, message: str, errors_of: ErrorsOf
) -> None:
    errors = errors_of(UserCreate, signup(**overrides))
    assert field in errors, errors
    assert message in errors[field]


def test_quiet_hours_may_span_midnight() -> None:
    user = UserCreate.model_validate(
        signup(
            preferences={
                "timezone": "America/Sao_Paulo",
                "quiet_hours": {"start": "22:00", "end": "07:00"},
            }
        )
    )
    assert user.preferences.quiet_hours is not None
    assert user.preferences.quiet_hours.end == time(7)


def test_user_update(errors_of: ErrorsOf) -> None:
    assert UserUpdate.model_validate({"phone": None}).changes() == {"phone": None}
    assert errors_of(UserUpdate, {}) == {"": "Value error, an update must set at least one field"}
    assert errors_of(UserUpdate, {"email": None}) == {"": "Value error, email cannot be null"}
    assert "role" in errors_of(UserUpdate, {"role": "platform_admin"})  # no self-promotion
    assert UserAdminUpdate.model_validate({"role": "vet_tech"}).role is UserRole.VET_TECH
    assert "avatar_url" in errors_of(UserUpdate, {"avatar_url": "javascript:alert(1)"})


def test_user_responses_from_model() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    row = User(
        id=uuid.uuid4(),
        created_at=now,
        updated_at=now,
        clerk_user_id="user_1",
        email="a@example.com",
        first_name="Ana",
        last_name="Lima",
        phone=None,
        role=UserRole.VETERINARIAN,
        status=UserStatus.ACTIVE,
        preferences={"timezone": "Europe/London", "language": "en-GB"},
        avatar_url=None,
        last_login_at=now,
        deleted_at=None,
    )
    public = UserResponse.model_validate(row)
    assert public.preferences == {"timezone": "Europe/London", "language": "en-GB"}
    assert "clerk_user_id" not in public.model_dump()
    assert UserStaffResponse.model_validate(row).clerk_user_id == "user_1"


def test_api_key_schemas(errors_of: ErrorsOf) -> None:
    assert "expires_at" in errors_of(
        ApiKeyCreate, {"name": "pms", "expires_at": "2030-01-01T00:00"}
    )
    now = datetime(2025, 1, 1, tzinfo=UTC)
    row = ApiKey(
        id=uuid.uuid4(),
        clinic_id=uuid.uuid4(),
        name="pms",
        prefix="vk_live_ab",
        key_hash="secret-hash",
        permissions=["appointments:read"],
        expires_at=None,
        revoked_at=None,
        last_used_at=None,
        created_at=now,
        updated_at=now,
    )
    dumped = ApiKeyResponse.model_validate(row).model_dump()
    assert dumped["prefix"] == "vk_live_ab"
    assert "key_hash" not in dumped
