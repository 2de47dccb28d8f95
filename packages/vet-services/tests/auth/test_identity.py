"""From a verified token to the local user and their actor, on the real database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from vet_core.exceptions import AuthenticationException, PermissionDeniedException
from vet_core.models.enums import StaffRole, UserRole, UserStatus
from vet_core.models.identity import User
from vet_services.auth.clerk import ClerkClaims, ClerkSettings
from vet_services.auth.directory import ClerkDirectory
from vet_services.auth.identity import actor_for_claims, role_from_metadata

from .conftest import ISSUER, add_clinic, add_membership, add_user, clerk_user_payload


def claims(user_id: str = "user_new", **extra) -> ClerkClaims:
    return ClerkClaims(
        user_id=user_id,
        session_id="sess",
        issuer=ISSUER,
        authorized_party=None,
        expires_at=2_000_000_000,
        **extra,
    )


@pytest.mark.parametrize(
    ("metadata", "role"),
    [
        ({"role": "veterinarian"}, UserRole.VETERINARIAN),
        ({"role": "CLINIC_ADMIN"}, UserRole.CLINIC_ADMIN),
        ({"role": "platform_admin"}, UserRole.PLATFORM_ADMIN),
        ({"role": "superuser"}, UserRole.PET_OWNER),
        ({"role": 7}, UserRole.PET_OWNER),
        ({}, UserRole.PET_OWNER),
    ],
)
def test_role_comes_from_public_metadata_and_unknown_roles_are_pet_owners(metadata, role):
    assert role_from_metadata(metadata) is role


async def test_first_sight_creates_the_user_from_the_token(db_session):
    user, actor = await actor_for_claims(
        db_session,
        claims(email="new@example.com", first_name="Nia", last_name="Ode", public_metadata={}),
    )
    assert (user.email, user.first_name, user.role) == (
        "new@example.com",
        "Nia",
        UserRole.PET_OWNER,
    )
    assert user.last_login_at is not None
    assert actor.user_id == user.id
    assert actor.memberships == {}
    again, _ = await actor_for_claims(db_session, claims(email="new@example.com"))
    assert again.id == user.id
    rows = await db_session.scalars(select(User.id).where(User.clerk_user_id == "user_new"))
    assert list(rows) == [user.id]


async def test_a_token_without_email_is_completed_from_clerks_backend_api(db_session, clerk):
    clerk.users["user_api"] = clerk_user_payload(
        "user_api", "api@example.com", public_metadata={"role": "vet_tech"}
    )
    directory = ClerkDirectory(
        ClerkSettings(issuer=ISSUER, api_url=clerk.url, secret_key="sk_test_secret")
    )
    user, _ = await actor_for_claims(db_session, claims("user_api"), directory)
    await directory.aclose()
    assert (user.email, user.role) == ("api@example.com", UserRole.VET_TECH)
    assert "/v1/users/user_api" in clerk.requests


async def test_a_user_clerk_does_not_know_is_refused(db_session, clerk):
    directory = ClerkDirectory(
        ClerkSettings(issuer=ISSUER, api_url=clerk.url, secret_key="sk_test_secret")
    )
    with pytest.raises(AuthenticationException) as caught:
        await actor_for_claims(db_session, claims("user_ghost"), directory)
    await directory.aclose()
    assert caught.value.code == "UNKNOWN_USER"


@pytest.mark.parametrize("status", [UserStatus.SUSPENDED, UserStatus.DEACTIVATED])
async def test_inactive_and_banned_users_are_refused(db_session, status):
    user = await add_user(db_session, status=status)
    with pytest.raises(PermissionDeniedException) as caught:
        await actor_for_claims(db_session, claims(user.clerk_user_id))
    assert caught.value.code == "ACCOUNT_DISABLED"


async def test_the_actor_carries_active_memberships_only(db_session):
    user = await add_user(db_session, role="veterinarian")
    mine, former = await add_clinic(db_session), await add_clinic(db_session)
    await add_membership(db_session, user, mine, "veterinarian")
    ended = await add_membership(db_session, user, former, "receptionist")
    ended.ended_at = ended.started_at
    await db_session.flush()
    _, actor = await actor_for_claims(db_session, claims(user.clerk_user_id))
    assert actor.memberships == {mine.id: StaffRole.VETERINARIAN}
    assert actor.role is UserRole.VETERINARIAN
