"""The in-app inbox: a person's own notifications, newest first, paged; marking them read."""

from __future__ import annotations

import uuid

import pytest
from factories import Builder
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import NotFoundException, PermissionDeniedException
from vet_core.models import Notification, User
from vet_core.models.enums import NotificationCategory, UserRole
from vet_services.auth.permissions import Actor
from vet_services.notifications.inbox import list_notifications, mark_read


def actor_of(user: User) -> Actor:
    return Actor(role=user.role, user_id=user.id)


async def notify(session: AsyncSession, user: User, title: str) -> Notification:
    notification = Notification(
        user_id=user.id, category=NotificationCategory.REMINDER, title=title, body="Due soon"
    )
    session.add(notification)
    await session.flush()
    return notification


async def test_lists_only_my_notifications_newest_first_in_pages(
    db_session: AsyncSession, build: Builder
) -> None:
    me, someone = await build.user(), await build.user()
    mine = [await notify(db_session, me, f"n{i}") for i in range(5)]
    await notify(db_session, someone, "not mine")

    first = await list_notifications(db_session, actor_of(me), limit=2)
    second = await list_notifications(db_session, actor_of(me), limit=2, cursor=first.next_cursor)
    third = await list_notifications(db_session, actor_of(me), limit=2, cursor=second.next_cursor)

    seen = [n.id for n in first.items + second.items + third.items]
    # Same transaction, same created_at: the uuid7 id keeps the order stable.
    assert seen == [n.id for n in reversed(mine)]
    assert third.next_cursor is None
    assert first.limit == 2


async def test_unread_only_and_mark_read_is_idempotent(
    db_session: AsyncSession, build: Builder
) -> None:
    me = await build.user()
    older = await notify(db_session, me, "older")
    newer = await notify(db_session, me, "newer")

    read = await mark_read(db_session, actor_of(me), older.id)
    assert read.read_at is not None
    again = await mark_read(db_session, actor_of(me), older.id)
    assert again.read_at == read.read_at

    unread = await list_notifications(db_session, actor_of(me), unread_only=True)
    assert [n.id for n in unread.items] == [newer.id]


async def test_someone_elses_or_a_missing_notification_is_not_found(
    db_session: AsyncSession, build: Builder
) -> None:
    me, stranger = await build.user(), await build.user()
    notification = await notify(db_session, me, "private")

    with pytest.raises(NotFoundException):
        await mark_read(db_session, actor_of(stranger), notification.id)
    with pytest.raises(NotFoundException):
        await mark_read(db_session, actor_of(me), uuid.uuid4())
    assert notification.read_at is None


async def test_api_keys_have_no_inbox(db_session: AsyncSession, build: Builder) -> None:
    admin = await build.user(UserRole.PLATFORM_ADMIN)
    key = Actor(role=None, api_key_id=uuid.uuid4())
    with pytest.raises(PermissionDeniedException):
        await list_notifications(db_session, key)
    # A platform admin reads their own inbox, not everyone's.
    page = await list_notifications(db_session, actor_of(admin))
    assert page.items == []
