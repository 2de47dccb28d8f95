"""Fixtures for identity tests: real RS256 keys, a JWKS and a Clerk Backend API on loopback."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://clerk.vet-test.example"
AZP = "https://app.vet-test.example"


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    @property
    def public_pem(self) -> str:
        return (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    @property
    def jwk(self) -> dict[str, Any]:
        data = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**data, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def mint(self, **overrides: Any) -> str:
        """A Clerk-shaped session token; pass ``None`` for a claim to leave it out."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": "user_2abc",
            "sid": "sess_123",
            "azp": AZP,
            "iat": now,
            "nbf": now - 5,
            "exp": now + 60,
        }
        headers = {"kid": overrides.pop("kid", self.kid)}
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, self.private, algorithm="RS256", headers=headers)


class ClerkStub:
    """A loopback HTTP server speaking the two Clerk endpoints we use."""

    def __init__(self) -> None:
        self.keys: list[SigningKey] = [SigningKey("ins_key_1")]
        self.users: dict[str, dict[str, Any]] = {}
        self.requests: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.requests.append(self.path)
                if self.path == "/.well-known/jwks.json":
                    self._send(200, {"keys": [key.jwk for key in stub.keys]})
                elif self.path.startswith("/v1/users/"):
                    if self.headers.get("Authorization") != "Bearer sk_test_secret":
                        self._send(401, {"errors": [{"code": "unauthorized"}]})
                        return
                    user = stub.users.get(self.path.removeprefix("/v1/users/"))
                    self._send(200, user) if user else self._send(404, {"errors": []})
                else:
                    self._send(404, {})

            def _send(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def key(self) -> SigningKey:
        return self.keys[0]

    def jwks_fetches(self) -> int:
        return self.requests.count("/.well-known/jwks.json")

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def clerk_stub() -> Iterator[ClerkStub]:
    stub = ClerkStub()
    yield stub
    stub.stop()


@pytest.fixture
def clerk(clerk_stub: ClerkStub) -> ClerkStub:
    """The stub, reset to one signing key and no users for each test."""
    clerk_stub.keys[:] = [SigningKey("ins_key_1")]
    clerk_stub.users.clear()
    clerk_stub.requests.clear()
    return clerk_stub


def clerk_user_payload(clerk_id: str, email: str, **extra: Any) -> dict[str, Any]:
    """A user object shaped as Clerk's Backend API and webhooks send it."""
    email_id = f"idn_{uuid.uuid4().hex[:8]}"
    return {
        "id": clerk_id,
        "object": "user",
        "first_name": extra.pop("first_name", "Ada"),
        "last_name": extra.pop("last_name", "Lovelace"),
        "primary_email_address_id": email_id,
        "email_addresses": [{"id": email_id, "email_address": email}],
        "phone_numbers": [],
        "public_metadata": extra.pop("public_metadata", {}),
        "banned": extra.pop("banned", False),
        "locked": False,
        **extra,
    }


async def add_user(session, role="pet_owner", **fields):
    """A user row (flushed, not committed)."""
    from vet_core.models.enums import UserRole
    from vet_core.models.identity import User

    suffix = uuid.uuid4().hex[:10]
    user = User(
        clerk_user_id=fields.pop("clerk_user_id", f"user_{suffix}"),
        email=fields.pop("email", f"{suffix}@example.com"),
        first_name=fields.pop("first_name", "Test"),
        last_name=fields.pop("last_name", "User"),
        role=UserRole(role),
        **fields,
    )
    session.add(user)
    await session.flush()
    return user


async def add_clinic(session, **fields):
    from vet_core.models.clinics import Clinic

    suffix = uuid.uuid4().hex[:10]
    clinic = Clinic(
        name=fields.pop("name", f"Clinic {suffix}"),
        slug=fields.pop("slug", f"clinic-{suffix}"),
        address_line1="1 Main St",
        city="Springfield",
        country_code="US",
        timezone=fields.pop("timezone", "America/New_York"),
        latitude=40.7,
        longitude=-74.0,
        **fields,
    )
    session.add(clinic)
    await session.flush()
    return clinic


async def add_membership(session, user, clinic, role):
    from vet_core.models.clinics import ClinicMembership
    from vet_core.models.enums import MembershipStatus, StaffRole

    membership = ClinicMembership(
        user_id=user.id, clinic_id=clinic.id, role=StaffRole(role), status=MembershipStatus.ACTIVE
    )
    session.add(membership)
    await session.flush()
    return membership
