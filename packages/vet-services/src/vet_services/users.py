"""People on the platform: one's own profile and preferences; administration of accounts."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import BusinessRuleException, NotFoundException
from vet_core.models.enums import AuditAction, UserRole, UserStatus
from vet_core.models.identity import User
from vet_core.schemas.identity import UserPreferences
from vet_services.audit import record_change, snapshot
from vet_services.auth.permissions import Actor, require_role
from vet_services.pagination import Page, keyset, page_of

#: What people may change about themselves here; e-mail belongs to the sign-in provider.
PROFILE_FIELDS = frozenset({"first_name", "last_name", "phone", "avatar_url"})
ADMIN_FIELDS = frozenset({"role", "status"})


async def update_profile(session: AsyncSession, user: User, changes: dict[str, Any]) -> User:
    """Change one's own names, phone or avatar."""
    refused = set(changes) - PROFILE_FIELDS
    if refused:
        raise BusinessRuleException(
            "These fields cannot be changed here",
            details={"fields": sorted(refused)},
            code="FIELD_NOT_EDITABLE",
        )
    for name, value in changes.items():
        setattr(user, name, str(value) if name == "avatar_url" and value is not None else value)
    user.updated_by = user.id
    await session.flush()
    return user


def preferences_of(user: User) -> UserPreferences:
    """The user's preferences with defaults for what was never set."""
    return UserPreferences.model_validate(user.preferences or {})


async def update_preferences(
    session: AsyncSession, user: User, preferences: UserPreferences
) -> UserPreferences:
    """Replace one's notification preferences (timezone, language, channels, quiet hours)."""
    kept = {
        k: v for k, v in (user.preferences or {}).items() if k not in UserPreferences.model_fields
    }
    user.preferences = {**kept, **preferences.model_dump(mode="json")}
    await session.flush()
    return preferences


async def list_users(
    session: AsyncSession,
    actor: Actor,
    *,
    limit: int,
    cursor: str | None = None,
    role: UserRole | None = None,
    status: UserStatus | None = None,
    q: str | None = None,
) -> Page[User]:
    """Every account, newest first, filtered (platform admins only)."""
    require_role(actor, UserRole.PLATFORM_ADMIN)
    query = select(User)
    if role is not None:
        query = query.where(User.role == role)
    if status is not None:
        query = query.where(User.status == status)
    if q:
        pattern = f"%{q.strip()}%"
        query = query.where(
            or_(
                User.email.ilike(pattern),
                User.first_name.ilike(pattern),
                User.last_name.ilike(pattern),
            )
        )
    rows = (
        await session.scalars(keyset(query, User.created_at, User.id, cursor=cursor, limit=limit))
    ).all()
    return page_of(rows, limit)


async def get_user(session: AsyncSession, actor: Actor, user_id: uuid.UUID) -> User:
    """One account: one's own, or anyone's for platform admins (others: not found)."""
    user = await session.get(User, user_id)
    if user is None or (user.id != actor.user_id and not actor.is_platform_admin):
        raise NotFoundException("User not found", code="USER_NOT_FOUND")
    return user


async def administer_user(
    session: AsyncSession, actor: Actor, user_id: uuid.UUID, changes: dict[str, Any]
) -> User:
    """Change an account's role or status (platform admins; audited; not on oneself)."""
    require_role(actor, UserRole.PLATFORM_ADMIN)
    refused = set(changes) - ADMIN_FIELDS - PROFILE_FIELDS
    if refused:
        raise BusinessRuleException(
            "These fields cannot be changed here", details={"fields": sorted(refused)}
        )
    user = await get_user(session, actor, user_id)
    if user.id == actor.user_id and ({"role", "status"} & set(changes)):
        raise BusinessRuleException(
            "Administrators cannot change their own role or status", code="SELF_ADMINISTRATION"
        )
    before = snapshot(user, changes.keys())
    for name, value in changes.items():
        setattr(user, name, value)
    user.updated_by = actor.user_id
    await session.flush()
    await record_change(
        session,
        actor,
        AuditAction.UPDATE,
        "user",
        user.id,
        before=before,
        after=snapshot(user, changes.keys()),
    )
    return user
