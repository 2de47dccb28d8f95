"""The API under test: the real app, the real database and Redis, real RS256 tokens."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest_asyncio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vet_clinic_api.main import create_app
from vet_clinic_api.settings import AppSettings, HttpSettings
from vet_core.config import DatabaseSettings, RedisSettings
from vet_core.models.clinics import Clinic, ClinicMembership
from vet_core.models.enums import MembershipStatus, StaffRole, UserRole
from vet_core.models.identity import User
from vet_services.auth.clerk import ClerkSettings

ISSUER = "https://clerk.api-test.example"
WEBHOOK_SECRET = "whsec_dGVzdC13ZWJob29rLXNlY3JldC1vZi0zMi1ieXRlcyE="

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = (
    _KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


def mint(clerk_user_id: str, **claims: Any) -> str:
    """A real RS256 session token for ``clerk_user_id``."""
    now = int(time.time())
    payload = {"iss": ISSUER, "sub": clerk_user_id, "sid": "sess", "iat": now, "exp": now + 300}
    payload.update(claims)
    return jwt.encode(payload, _KEY, algorithm="RS256", headers={"kid": "test"})


def settings_for(database_url, redis_url: str, **http: Any) -> AppSettings:
    # Tests change roles, memberships and statuses between requests: no actor cache unless asked.
    http.setdefault("actor_cache_seconds", 0)
    return AppSettings(
        http=HttpSettings(environment="test", **http),
        database=DatabaseSettings(url=database_url.render_as_string(hide_password=False)),
        redis=RedisSettings(url=redis_url),
        clerk=ClerkSettings(issuer=ISSUER, jwt_key=PUBLIC_PEM, webhook_secret=WEBHOOK_SECRET),
    )


@dataclass
class Api:
    """An HTTP client on the app, with helpers to make people and sign them in."""

    client: httpx.AsyncClient
    session: AsyncSession
    app: Any

    async def user(self, role: str = "pet_owner", **fields: Any) -> User:
        suffix = uuid.uuid4().hex[:10]
        user = User(
            clerk_user_id=f"user_{suffix}",
            email=f"{suffix}@example.com",
            first_name=fields.pop("first_name", "Test"),
            last_name=fields.pop("last_name", "Person"),
            role=UserRole(role),
            **fields,
        )
        self.session.add(user)
        await self.session.flush()
        return user

    async def clinic(self, **fields: Any) -> Clinic:
        suffix = uuid.uuid4().hex[:10]
        clinic = Clinic(
            name=fields.pop("name", f"Clinic {suffix}"),
            slug=f"clinic-{suffix}",
            address_line1="1 Main St",
            city="Springfield",
            country_code="US",
            timezone=fields.pop("timezone", "America/New_York"),
            latitude=fields.pop("latitude", 40.7),
            longitude=fields.pop("longitude", -74.0),
            **fields,
        )
        self.session.add(clinic)
        await self.session.flush()
        return clinic

    async def staff(self, clinic: Clinic, role: str) -> User:
        user = await self.user(role)
        self.session.add(
            ClinicMembership(
                user_id=user.id,
                clinic_id=clinic.id,
                role=StaffRole(role),
                status=MembershipStatus.ACTIVE,
            )
        )
        await self.session.flush()
        return user

    async def pet(self, owner: User, **fields: Any) -> Any:
        from datetime import date

        from vet_core.models.enums import OwnershipRole, Species
        from vet_core.models.pets import Pet, PetOwnership

        pet = Pet(
            owner_id=owner.id,
            name=fields.pop("name", "Biscuit"),
            species=fields.pop("species", Species.DOG),
            birth_date=fields.pop("birth_date", date(2020, 5, 1)),
            **fields,
        )
        self.session.add(pet)
        await self.session.flush()
        self.session.add(PetOwnership(pet_id=pet.id, user_id=owner.id, role=OwnershipRole.PRIMARY))
        await self.session.flush()
        return pet

    async def veterinarian(self, clinic: Clinic) -> tuple[User, Any]:
        from vet_core.models.veterinarians import Veterinarian

        user = await self.staff(clinic, "veterinarian")
        vet = Veterinarian(
            user_id=user.id,
            license_number=f"LIC-{uuid.uuid4().hex[:10]}",
            license_state="NY",
        )
        self.session.add(vet)
        await self.session.flush()
        return user, vet

    async def appointment(
        self, pet: Any, vet: Any, clinic: Clinic, booked_by: User, **fields: Any
    ) -> Any:
        from datetime import UTC, datetime, timedelta

        from vet_core.models.enums import AppointmentStatus, ServiceType
        from vet_core.models.scheduling import Appointment

        starts = fields.pop(
            "starts_at", datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
        )
        appointment = Appointment(
            pet_id=pet.id,
            booked_by_id=booked_by.id,
            veterinarian_id=vet.id,
            clinic_id=clinic.id,
            service_type=fields.pop("service_type", ServiceType.WELLNESS_EXAM),
            status=fields.pop("status", AppointmentStatus.SCHEDULED),
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            **fields,
        )
        self.session.add(appointment)
        await self.session.flush()
        return appointment

    @staticmethod
    def auth(user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint(user.clerk_user_id)}"}


@pytest_asyncio.fixture(loop_scope="session")
async def app_factory(database_url, redis_url, db_engine, redis):
    """Build apps whose every request runs inside the test's rolled-back transaction."""
    created = []

    async def build(**http: Any):
        app = create_app(settings_for(database_url, redis_url, **http))
        context = app.router.lifespan_context(app)
        await context.__aenter__()
        created.append(context)
        return app

    yield build
    for context in reversed(created):
        await context.__aexit__(None, None, None)


@pytest_asyncio.fixture(loop_scope="session")
async def api(app_factory, db_engine) -> AsyncIterator[Api]:
    app = await app_factory()
    async with db_engine.connect() as connection:
        outer = await connection.begin()
        factory = async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        app.state.resources.sessions = factory
        app.state.resources.read_sessions = factory
        session = factory()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Api(client=client, session=session, app=app)
        await session.close()
        await outer.rollback()


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The ``error`` member of an error envelope, checking its shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details", "timestamp", "request_id"}, error
    assert error["request_id"] == response.headers["x-request-id"]
    return error


def dumps(value: Any) -> str:
    return json.dumps(value, default=str)


def hs256_forgery(claims: dict[str, Any], secret: bytes) -> str:
    """An HS256 token built by hand (PyJWT refuses to use a public key as an HMAC secret)."""
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"
