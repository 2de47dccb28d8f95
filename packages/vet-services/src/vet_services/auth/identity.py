"""From a verified Clerk identity to the local :class:`User`, and keeping the two in step.

A user is created the first time their token is seen (with e-mail and names from the token, or
from Clerk's Backend API when the token does not carry them) and updated by Clerk's webhooks.
Their role comes from Clerk's *public* metadata (which only the backend can write); a role we do
not know falls back to ``pet_owner``. Suspended and deactivated users are refused.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import AuthenticationException, PermissionDeniedException
from vet_core.models.enums import UserRole, UserStatus
from vet_core.models.identity import User
from vet_core.utils.time import utcnow
from vet_services.auth.actor import actor_columns, actor_from, load_actor
from vet_services.auth.clerk import ClerkClaims
from vet_services.auth.directory import ClerkUser
from vet_services.auth.permissions import Actor

#: Users in these states may not sign in.
REFUSED_STATUSES = frozenset({UserStatus.SUSPENDED, UserStatus.DEACTIVATED})


class UserDirectory(Protocol):
    """Where to read a user the token does not describe fully (Clerk's Backend API)."""

    async def get_user(self, user_id: str) -> ClerkUser: ...


def role_from_metadata(metadata: dict[str, Any]) -> UserRole:
    """The platform role in Clerk public metadata; anything unknown is a pet owner."""
    try:
        return UserRole(str(metadata.get("role", "")).strip().lower())
    except ValueError:
        return UserRole.PET_OWNER


def _clerk_user_from_claims(claims: ClerkClaims) -> ClerkUser | None:
    if not claims.email:
        return None
    return ClerkUser(
        id=claims.user_id,
        email=claims.email,
        first_name=(claims.first_name or "").strip(),
        last_name=(claims.last_name or "").strip(),
        public_metadata=claims.public_metadata,
    )


async def upsert_user(session: AsyncSession, clerk_user: ClerkUser) -> User:
    """Create or update the local user for ``clerk_user`` (idempotent; safe under races).

    Banned or locked Clerk users become ``suspended``; lifting the ban makes them active again.
    """
    if not clerk_user.email:
        raise AuthenticationException(
            "The account has no e-mail address", code="ACCOUNT_WITHOUT_EMAIL"
        )
    values: dict[str, Any] = {
        "clerk_user_id": clerk_user.id,
        "email": clerk_user.email.strip(),
        "first_name": clerk_user.first_name[:100],
        "last_name": clerk_user.last_name[:100],
        "phone": clerk_user.phone,
        "role": role_from_metadata(clerk_user.public_metadata),
    }
    suspended = clerk_user.banned or clerk_user.locked
    statement = (
        insert(User)
        .values(**values, status=UserStatus.SUSPENDED if suspended else UserStatus.ACTIVE)
        .on_conflict_do_update(
            index_elements=[User.clerk_user_id],
            set_={
                **values,
                "status": _status_after_sync(suspended),
                "deleted_at": None,
                "updated_at": func.now(),
            },
        )
        .returning(User.id)
    )
    user_id = (await session.execute(statement)).scalar_one()
    user = await session.get(User, user_id, populate_existing=True)
    assert user is not None
    return user


def _status_after_sync(suspended: bool) -> Any:
    """Suspend a banned user; lift only a suspension (a deactivated account stays so)."""
    if suspended:
        return UserStatus.SUSPENDED
    return func.coalesce(
        func.nullif(User.__table__.c.status, UserStatus.SUSPENDED.value), UserStatus.ACTIVE.value
    )


async def user_for_claims(
    session: AsyncSession, claims: ClerkClaims, directory: UserDirectory | None
) -> User:
    """The local user of a verified token, created on first sight."""
    user = (
        await session.execute(select(User).where(User.clerk_user_id == claims.user_id))
    ).scalar_one_or_none()
    if user is not None and user.deleted_at is None:
        return user
    clerk_user = _clerk_user_from_claims(claims)
    if clerk_user is None:
        if directory is None:
            raise AuthenticationException(
                "The token does not describe the user and no directory is configured",
                code="UNKNOWN_USER",
            )
        clerk_user = await directory.get_user(claims.user_id)
    return await upsert_user(session, clerk_user)


def ensure_may_sign_in(user: User) -> None:
    """Refuse suspended and deactivated accounts (HTTP 403, code ``ACCOUNT_DISABLED``)."""
    if user.status in REFUSED_STATUSES or user.deleted_at is not None:
        raise PermissionDeniedException("This account is disabled", code="ACCOUNT_DISABLED")


async def actor_for_claims(
    session: AsyncSession, claims: ClerkClaims, directory: UserDirectory | None = None
) -> tuple[User, Actor]:
    """The signed-in user and their actor, for a verified token. Records the sign-in time.

    A known user and their actor come back in one query; a user seen for the first time (or
    undeleted) is created or updated first, from the token or the directory.
    """
    statement = select(User, *actor_columns()).where(User.clerk_user_id == claims.user_id)
    row = (await session.execute(statement)).one_or_none()
    if row is not None and row[0].deleted_at is None:
        user = row[0]
        ensure_may_sign_in(user)
        actor = actor_from(user, *row[1:])
    else:
        user = await user_for_claims(session, claims, directory)
        ensure_may_sign_in(user)
        actor = await load_actor(session, user)
    now = utcnow()
    # Throttled so that every request does not turn into a write.
    if user.last_login_at is None or (now - user.last_login_at).total_seconds() > 300:
        user.last_login_at = now
    return user, actor


class ActorCache:
    """Recently loaded actors, by Clerk user id, for ``ttl_seconds`` (0 disables it).

    A bounded, per-process LRU. ``ttl_seconds`` is the longest a change of role, membership,
    veterinarian profile, suspension or deletion takes to reach a process that cached the actor.
    """

    def __init__(self, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, Actor]] = OrderedDict()

    def get(self, clerk_user_id: str) -> Actor | None:
        if self.ttl_seconds <= 0:
            return None
        entry = self._entries.get(clerk_user_id)
        if entry is None:
            return None
        if time.monotonic() >= entry[0]:
            del self._entries[clerk_user_id]
            return None
        return entry[1]

    def put(self, clerk_user_id: str, actor: Actor) -> None:
        if self.ttl_seconds <= 0:
            return
        self._entries[clerk_user_id] = (time.monotonic() + self.ttl_seconds, actor)
        self._entries.move_to_end(clerk_user_id)
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def forget(self, user_id: uuid.UUID | None = None) -> None:
        """Drop every entry (or those of one local user id)."""
        if user_id is None:
            self._entries.clear()
            return
        for key in [k for k, (_, a) in self._entries.items() if a.user_id == user_id]:
            del self._entries[key]
