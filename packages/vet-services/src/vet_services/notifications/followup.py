"""Telling a few people about something that happened, once each, whatever the redeliveries.

The follow-up jobs (a payment failed, an order was paid, a message arrived…) all do the same
thing: render one notice per recipient and hand it to the :class:`Dispatcher` under a key that
names the event and the recipient, so a job delivered twice claims nothing the second time.
A recipient inside their quiet hours is not skipped: :func:`defer_job` writes the same job to the
outbox again for the moment they may be reached; those already told are then duplicates.

Also here: the small formatting helpers the follow-up templates share (money, references).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import ClinicMembership, Pet, User
from vet_core.models.enums import DeliveryStatus, MembershipStatus, StaffRole, UserStatus
from vet_core.utils.money import from_minor_units
from vet_core.utils.time import utcnow
from vet_services.notifications.dispatcher import Dispatcher, DispatchStatus, Notice
from vet_services.outbox import enqueue


@dataclass(frozen=True, slots=True)
class FollowUpReport:
    """What one run did: deliveries claimed (and how many went out), duplicates, deferrals."""

    claimed: int = 0
    sent: int = 0
    duplicates: int = 0
    skipped: int = 0
    deferred: tuple[uuid.UUID, ...] = ()
    not_before: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary (what a task returns)."""
        return {
            "claimed": self.claimed,
            "sent": self.sent,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "deferred": len(self.deferred),
            "not_before": self.not_before.isoformat() if self.not_before else None,
        }


async def notify_users(
    session: AsyncSession,
    dispatcher: Dispatcher,
    recipients: Iterable[User],
    notice_for: Callable[[User], Notice],
    *,
    key: str,
    now: datetime | None = None,
    fallback_timezone: str | None = None,
    pets: Sequence[Pet] = (),
) -> FollowUpReport:
    """Dispatch ``notice_for(user)`` to each recipient under ``<key>:<user id>``.

    The dispatcher appends the channel, so each recipient gets the notice at most once per
    channel however often this runs with the same ``key``.
    """
    now = now or utcnow()
    claimed = sent = duplicates = skipped = 0
    deferred: list[uuid.UUID] = []
    not_before: datetime | None = None
    seen: set[uuid.UUID] = set()
    for user in recipients:
        if user.id in seen:
            continue
        seen.add(user.id)
        outcome = await dispatcher.dispatch(
            session,
            recipient=user,
            notice=notice_for(user),
            dedup_key=f"{key}:{user.id}",
            due_at=now,
            now=now,
            pets=pets,
            fallback_timezone=fallback_timezone,
        )
        if outcome.status is DispatchStatus.DEFERRED:
            deferred.append(user.id)
            if outcome.not_before is not None:
                not_before = min(filter(None, (not_before, outcome.not_before)))
            continue
        if outcome.status is DispatchStatus.SKIPPED:
            skipped += 1
            continue
        for channel in outcome.channels:
            if channel.duplicate:
                duplicates += 1
                continue
            claimed += 1
            if channel.status is DeliveryStatus.SENT:
                sent += 1
    return FollowUpReport(claimed, sent, duplicates, skipped, tuple(deferred), not_before)


async def defer_job(
    session: AsyncSession,
    topic: str,
    payload: Mapping[str, Any],
    report: FollowUpReport,
    *,
    key: str,
) -> bool:
    """Run job ``topic`` again when the first deferred recipient may be reached.

    Keyed on ``key`` and that moment, so a redelivered job defers once. Whether a job was added.
    """
    if report.not_before is None:
        return False
    return await enqueue(
        session,
        topic,
        payload,
        dedup_key=f"{key}:deferred:{report.not_before.isoformat()}",
        available_at=report.not_before,
    )


async def users_by_id(session: AsyncSession, user_ids: Iterable[uuid.UUID]) -> list[User]:
    """The users with these ids (missing ones are left out), in id order."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return []
    rows = await session.execute(select(User).where(User.id.in_(wanted)).order_by(User.id))
    return list(rows.scalars())


async def clinic_staff(
    session: AsyncSession, clinic_id: uuid.UUID, roles: Iterable[StaffRole] | None = None
) -> list[User]:
    """Active users working at ``clinic_id`` now (optionally only in ``roles``), in id order."""
    query = (
        select(User)
        .join(ClinicMembership, ClinicMembership.user_id == User.id)
        .where(
            ClinicMembership.clinic_id == clinic_id,
            ClinicMembership.status == MembershipStatus.ACTIVE,
            ClinicMembership.ended_at.is_(None),
            User.status == UserStatus.ACTIVE,
            User.deleted_at.is_(None),
        )
        .order_by(User.id)
    )
    if roles is not None:
        query = query.where(ClinicMembership.role.in_(list(roles)))
    return list((await session.execute(query)).scalars().unique())


def money(minor: int, currency: str) -> str:
    """``5400, "USD"`` → ``"54.00 USD"`` (the currency's own number of decimals)."""
    return f"{from_minor_units(minor, currency)} {currency}"


def short_reference(record_id: uuid.UUID) -> str:
    """The last eight hex digits of an id, upper case: what a customer reads to the clinic.

    (The ids are UUIDv7: their first digits are a timestamp, their last ones random.)
    """
    return record_id.hex[-8:].upper()


__all__ = [
    "FollowUpReport",
    "clinic_staff",
    "defer_job",
    "money",
    "notify_users",
    "short_reference",
    "users_by_id",
]
