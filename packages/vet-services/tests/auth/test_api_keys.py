"""Scoped API keys: shown once, stored hashed, scoped, revocable, last use tracked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from vet_core.exceptions import (
    AuthenticationException,
    BusinessRuleException,
    NotFoundException,
    PermissionDeniedException,
)
from vet_core.models.enums import StaffRole, UserRole
from vet_core.models.identity import ApiKey
from vet_core.utils.time import utcnow
from vet_services.auth.api_keys import (
    authenticate_api_key,
    create_api_key,
    list_api_keys,
    revoke_api_key,
)
from vet_services.auth.permissions import Action, Actor, Resource, authorize

from .conftest import add_clinic


@pytest.fixture
async def clinic(db_session):
    return await add_clinic(db_session)


def admin_of(clinic_id) -> Actor:
    import uuid

    return Actor(
        role=UserRole.CLINIC_ADMIN,
        user_id=uuid.uuid4(),
        memberships={clinic_id: StaffRole.CLINIC_ADMIN},
    )


async def issue(db_session, clinic, **kwargs):
    return await create_api_key(
        db_session,
        admin_of(clinic.id),
        clinic_id=clinic.id,
        name=kwargs.pop("name", "Lab integration"),
        permissions=kwargs.pop("permissions", [Action.CLINICAL_WRITE, Action.PET_READ]),
        **kwargs,
    )


async def test_the_key_is_shown_once_and_only_its_hash_is_stored(db_session, clinic):
    issued = await issue(db_session, clinic)
    assert issued.secret.startswith(f"vk_{issued.api_key.prefix}_")
    assert issued.secret not in (issued.api_key.key_hash, issued.api_key.prefix)
    assert len(issued.api_key.key_hash) == 64
    assert issued.api_key.permissions == ["clinical:write", "pet:read"]


async def test_a_key_acts_for_its_clinic_with_exactly_its_permissions(db_session, clinic):
    issued = await issue(db_session, clinic)
    actor = await authenticate_api_key(db_session, issued.secret)
    assert actor.api_key_id == issued.api_key.id
    assert actor.role is None
    record = Resource.of("health_record", clinics=[clinic.id])
    authorize(actor, Action.CLINICAL_WRITE, record)  # granted
    with pytest.raises(PermissionDeniedException):
        authorize(actor, Action.APPOINTMENT_BOOK, Resource.of("appointment", clinics=[clinic.id]))
    other = await add_clinic(db_session)
    with pytest.raises(NotFoundException):
        authorize(actor, Action.CLINICAL_WRITE, Resource.of("health_record", clinics=[other.id]))


async def test_last_use_is_recorded(db_session, clinic):
    issued = await issue(db_session, clinic)
    assert issued.api_key.last_used_at is None
    await authenticate_api_key(db_session, issued.secret)
    await db_session.refresh(issued.api_key)
    assert issued.api_key.last_used_at is not None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda secret: secret[:-1] + ("A" if secret[-1] != "A" else "B"),
        lambda secret: "vk_unknownprefix_" + secret.split("_", 2)[2],
        lambda secret: secret.replace("vk_", "xx_"),
        lambda secret: "",
        lambda secret: "vk__",
    ],
)
async def test_a_wrong_key_is_refused(db_session, clinic, mangle):
    issued = await issue(db_session, clinic)
    with pytest.raises(AuthenticationException) as caught:
        await authenticate_api_key(db_session, mangle(issued.secret))
    assert caught.value.code == "INVALID_API_KEY"


async def test_a_revoked_key_is_refused_at_once(db_session, clinic):
    issued = await issue(db_session, clinic)
    await revoke_api_key(db_session, admin_of(clinic.id), issued.api_key.id)
    await revoke_api_key(db_session, admin_of(clinic.id), issued.api_key.id)  # harmless twice
    with pytest.raises(AuthenticationException):
        await authenticate_api_key(db_session, issued.secret)


async def test_an_expired_key_is_refused(db_session, clinic):
    issued = await issue(db_session, clinic, expires_at=utcnow() + timedelta(hours=1))
    await db_session.execute(
        update(ApiKey)
        .where(ApiKey.id == issued.api_key.id)
        .values(created_at=utcnow() - timedelta(days=2), expires_at=utcnow() - timedelta(days=1))
    )
    with pytest.raises(AuthenticationException):
        await authenticate_api_key(db_session, issued.secret)


async def test_keys_cannot_carry_the_power_to_make_keys(db_session, clinic):
    with pytest.raises(BusinessRuleException):
        await issue(db_session, clinic, permissions=[Action.API_KEY_MANAGE])
    with pytest.raises(BusinessRuleException):
        await issue(db_session, clinic, permissions=[])


async def test_only_the_clinics_admins_manage_its_keys(db_session, clinic):
    import uuid

    receptionist = Actor(
        role=UserRole.RECEPTIONIST,
        user_id=uuid.uuid4(),
        memberships={clinic.id: StaffRole.RECEPTIONIST},
    )
    with pytest.raises(PermissionDeniedException):
        await create_api_key(
            db_session, receptionist, clinic_id=clinic.id, name="x", permissions=[Action.PET_READ]
        )
    stranger = admin_of(uuid.uuid4())
    with pytest.raises(NotFoundException):
        await list_api_keys(db_session, stranger, clinic.id)
    issued = await issue(db_session, clinic)
    assert [k.id for k in await list_api_keys(db_session, admin_of(clinic.id), clinic.id)] == [
        issued.api_key.id
    ]
