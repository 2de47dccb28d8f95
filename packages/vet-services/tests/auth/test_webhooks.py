"""Clerk webhooks signed exactly as Svix signs them, applied once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from sqlalchemy import select

from vet_core.exceptions import AuthenticationException
from vet_core.models.enums import UserRole, UserStatus
from vet_core.models.identity import User
from vet_services.auth.webhooks import handle_clerk_event, verify_clerk_webhook

from .conftest import clerk_user_payload

SECRET_BYTES = b"a-test-webhook-secret-of-32bytes"
SECRET = "whsec_" + base64.b64encode(SECRET_BYTES).decode()


def svix_headers(
    body: bytes,
    *,
    msg_id: str = "msg_1",
    timestamp: int | None = None,
    secret: bytes = SECRET_BYTES,
) -> dict[str, str]:
    """Headers as Svix sends them: v1,base64(HMAC-SHA256(secret, f"{id}.{timestamp}.{body}"))."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{msg_id}.{timestamp}.".encode() + body
    signature = base64.b64encode(hmac.new(secret, signed, hashlib.sha256).digest()).decode()
    return {
        "svix-id": msg_id,
        "svix-timestamp": str(timestamp),
        "svix-signature": f"v1,{signature}",
    }


def event(event_type: str, data: dict) -> bytes:
    return json.dumps({"type": event_type, "object": "event", "data": data}).encode()


def test_a_correctly_signed_delivery_is_accepted():
    body = event("user.created", clerk_user_payload("user_1", "a@example.com"))
    assert verify_clerk_webhook(SECRET, body, svix_headers(body))["type"] == "user.created"


def test_several_signatures_are_accepted_when_one_matches():
    body = event("user.created", clerk_user_payload("user_1", "a@example.com"))
    headers = svix_headers(body)
    headers["svix-signature"] = "v1,bm90IGl0 " + headers["svix-signature"]
    assert verify_clerk_webhook(SECRET, body, headers)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda body, h: (body + b" ", h), id="body-changed"),
        pytest.param(lambda body, h: (body, {**h, "svix-id": "msg_other"}), id="id-changed"),
        pytest.param(
            lambda body, h: (body, svix_headers(body, secret=b"another-secret-entirely-32bytes!")),
            id="wrong-secret",
        ),
        pytest.param(
            lambda body, h: (body, svix_headers(body, timestamp=int(time.time()) - 600)),
            id="replayed-ten-minutes-later",
        ),
        pytest.param(
            lambda body, h: (body, svix_headers(body, timestamp=int(time.time()) + 600)),
            id="timestamp-in-the-future",
        ),
        pytest.param(lambda body, h: (body, {}), id="no-headers"),
        pytest.param(
            lambda body, h: (
                body,
                {**h, "svix-signature": h["svix-signature"].replace("v1,", "v2,")},
            ),
            id="unknown-version",
        ),
    ],
)
def test_a_delivery_that_is_not_exactly_signed_is_refused(tamper):
    body = event("user.created", clerk_user_payload("user_1", "a@example.com"))
    body, headers = tamper(body, svix_headers(body))
    with pytest.raises(AuthenticationException) as caught:
        verify_clerk_webhook(SECRET, body, headers)
    assert caught.value.code == "INVALID_WEBHOOK_SIGNATURE"


async def user_by_clerk_id(session, clerk_id: str) -> User | None:
    return await session.scalar(
        select(User).where(User.clerk_user_id == clerk_id).execution_options(populate_existing=True)
    )


async def test_created_updated_deleted_are_applied(db_session):
    created = json.loads(event("user.created", clerk_user_payload("user_w", "w@example.com")))
    assert (await handle_clerk_event(db_session, "msg_1", created)).applied
    user = await user_by_clerk_id(db_session, "user_w")
    assert (user.email, user.role, user.status) == (
        "w@example.com",
        UserRole.PET_OWNER,
        UserStatus.ACTIVE,
    )

    updated = json.loads(
        event(
            "user.updated",
            clerk_user_payload(
                "user_w",
                "new@example.com",
                first_name="Wyn",
                public_metadata={"role": "receptionist"},
            ),
        )
    )
    assert (await handle_clerk_event(db_session, "msg_2", updated)).applied
    user = await user_by_clerk_id(db_session, "user_w")
    assert (user.email, user.first_name, user.role) == (
        "new@example.com",
        "Wyn",
        UserRole.RECEPTIONIST,
    )

    deleted = {"type": "user.deleted", "data": {"id": "user_w", "deleted": True}}
    assert (await handle_clerk_event(db_session, "msg_3", deleted)).applied
    user = await user_by_clerk_id(db_session, "user_w")
    assert user.status is UserStatus.DEACTIVATED
    assert user.deleted_at is not None


async def test_a_redelivered_event_changes_nothing(db_session):
    first = json.loads(event("user.created", clerk_user_payload("user_r", "r@example.com")))
    assert (await handle_clerk_event(db_session, "msg_r", first)).applied
    # The same event id again, even with other content, is recognised and skipped.
    replay = json.loads(event("user.created", clerk_user_payload("user_r", "evil@example.com")))
    outcome = await handle_clerk_event(db_session, "msg_r", replay)
    assert not outcome.applied
    assert (await user_by_clerk_id(db_session, "user_r")).email == "r@example.com"


async def test_an_update_that_arrives_before_the_create_still_creates_the_user(db_session):
    updated = json.loads(event("user.updated", clerk_user_payload("user_o", "o@example.com")))
    assert (await handle_clerk_event(db_session, "msg_o1", updated)).applied
    created = json.loads(event("user.created", clerk_user_payload("user_o", "o@example.com")))
    assert (await handle_clerk_event(db_session, "msg_o0", created)).applied
    rows = await db_session.scalars(select(User.id).where(User.clerk_user_id == "user_o"))
    assert len(list(rows)) == 1


async def test_a_ban_suspends_and_lifting_it_reactivates(db_session):
    banned = json.loads(
        event("user.updated", clerk_user_payload("user_b", "b@example.com", banned=True))
    )
    await handle_clerk_event(db_session, "msg_b1", banned)
    assert (await user_by_clerk_id(db_session, "user_b")).status is UserStatus.SUSPENDED
    lifted = json.loads(event("user.updated", clerk_user_payload("user_b", "b@example.com")))
    await handle_clerk_event(db_session, "msg_b2", lifted)
    assert (await user_by_clerk_id(db_session, "user_b")).status is UserStatus.ACTIVE


async def test_other_event_types_are_recorded_but_not_applied(db_session):
    outcome = await handle_clerk_event(
        db_session, "msg_s", {"type": "session.created", "data": {"id": "sess_1"}}
    )
    assert not outcome.applied
