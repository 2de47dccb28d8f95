"""Scoped API keys for server-to-server integrations (laboratories, clinic systems).

A key looks like ``vk_<prefix>_<secret>``. It is shown once, when created; only the SHA-256 of the
whole key is stored (the secret is 256 random bits, so a fast hash is enough), and the public
``prefix`` finds the row. A key belongs to one clinic and carries a set of permissions, which
is all it may do; it can expire and be revoked, and its last use is recorded.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import (
    AuthenticationException,
    BusinessRuleException,
    NotFoundException,
)
from vet_core.models.enums import StaffRole
from vet_core.models.identity import ApiKey
from vet_core.utils.time import ensure_aware, utcnow
from vet_services.auth.permissions import (
    API_KEY_GRANTABLE,
    Action,
    Actor,
    Resource,
    authorize,
)

KEY_PREFIX = "vk"
#: Last use is written at most this often per key, so that a busy integration does not turn
#: every request into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class IssuedApiKey:
    """A freshly created key: ``secret`` is the only time the full key is ever available."""

    api_key: ApiKey
    secret: str


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def _parse(raw_key: str) -> str | None:
    """The prefix of a well-formed key, else ``None``."""
    parts = raw_key.split("_", 2)  # the secret itself may contain underscores
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or len(parts[2]) < 32:
        return None
    return parts[1]


async def create_api_key(
    session: AsyncSession,
    actor: Actor,
    *,
    clinic_id: uuid.UUID,
    name: str,
    permissions: Iterable[Action],
    expires_at: datetime | None = None,
) -> IssuedApiKey:
    """Issue a key for ``clinic_id`` (clinic admins of that clinic and platform admins only)."""
    authorize(actor, Action.API_KEY_MANAGE, Resource.of("clinic", clinic_id, clinics=[clinic_id]))
    granted = frozenset(permissions)
    if not granted:
        raise BusinessRuleException("An API key needs at least one permission")
    forbidden = granted - API_KEY_GRANTABLE
    if forbidden:
        raise BusinessRuleException(
            "These permissions cannot be given to an API key",
            details={"permissions": sorted(p.value for p in forbidden)},
        )
    if expires_at is not None and ensure_aware(expires_at, field="expires_at") <= utcnow():
        raise BusinessRuleException("expires_at must be in the future")
    prefix = secrets.token_hex(6)
    secret = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey(
        clinic_id=clinic_id,
        name=name.strip(),
        prefix=prefix,
        key_hash=_hash(secret),
        permissions=sorted(p.value for p in granted),
        expires_at=expires_at,
        created_by=actor.user_id,
    )
    session.add(api_key)
    await session.flush()
    return IssuedApiKey(api_key=api_key, secret=secret)


async def revoke_api_key(session: AsyncSession, actor: Actor, api_key_id: uuid.UUID) -> ApiKey:
    """Revoke a key at once; revoking twice is harmless."""
    api_key = await session.get(ApiKey, api_key_id)
    if api_key is None:
        raise NotFoundException("API key not found", code="API_KEY_NOT_FOUND")
    authorize(
        actor,
        Action.API_KEY_MANAGE,
        Resource.of("api_key", api_key.id, clinics=[api_key.clinic_id]),
    )
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
        api_key.updated_by = actor.user_id
        await session.flush()
    return api_key


async def list_api_keys(session: AsyncSession, actor: Actor, clinic_id: uuid.UUID) -> list[ApiKey]:
    """The clinic's keys, newest first (hashes are never part of a response schema)."""
    authorize(actor, Action.API_KEY_MANAGE, Resource.of("clinic", clinic_id, clinics=[clinic_id]))
    rows = await session.execute(
        select(ApiKey).where(ApiKey.clinic_id == clinic_id).order_by(ApiKey.created_at.desc())
    )
    return list(rows.scalars())


async def authenticate_api_key(session: AsyncSession, raw_key: str) -> Actor:
    """The actor of a presented key, or :class:`AuthenticationException` (``INVALID_API_KEY``)."""
    invalid = AuthenticationException("The API key is invalid", code="INVALID_API_KEY")
    prefix = _parse(raw_key)
    if prefix is None:
        raise invalid
    api_key = (
        await session.execute(select(ApiKey).where(ApiKey.prefix == prefix))
    ).scalar_one_or_none()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash(raw_key)):
        raise invalid
    now = utcnow()
    if api_key.revoked_at is not None or (api_key.expires_at and api_key.expires_at <= now):
        raise AuthenticationException("The API key is revoked or expired", code="INVALID_API_KEY")
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        await session.execute(
            update(ApiKey).where(ApiKey.id == api_key.id).values(last_used_at=now)
        )
    return Actor(
        role=None,  # no platform-wide role: the key's scopes are all it has
        memberships={api_key.clinic_id: StaffRole.CLINIC_ADMIN},
        api_key_id=api_key.id,
        scopes=frozenset(Action(p) for p in api_key.permissions if p in Action._value2member_map_),
    )
