"""What a user agreed to receive, where, and when: channels, quiet hours and SMS opt-out.

The validated part of ``User.preferences`` is :class:`vet_core.schemas.identity.UserPreferences`
(timezone, language, channels, quiet hours). Beside it the JSON carries what the platform records
for the user rather than what the user types: ``push_tokens`` (device tokens of the app) and
``sms_opt_out`` (set by a STOP reply, removed by START). Reading is lenient: preferences that no
longer validate fall back to the defaults field by field, so one bad value never silences a
reminder nor crashes a pass.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import SchemaValidationException
from vet_core.models import User
from vet_core.models.enums import NotificationCategory, NotificationChannel
from vet_core.schemas.identity import QuietHours, UserPreferences
from vet_core.utils.time import parse_timezone, to_zone, utcnow, wall_clock_instant

PUSH_TOKENS_KEY = "push_tokens"
SMS_OPT_OUT_KEY = "sms_opt_out"
#: Optional per-category narrowing: ``{"reminder": ["email"], "billing": ["email", "sms"]}``.
CHANNELS_BY_CATEGORY_KEY = "channels_by_category"

#: The keywords carriers and Twilio treat as opt-out / opt-in (matched on the whole reply).
STOP_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
)
START_KEYWORDS = frozenset({"START", "UNSTOP", "YES", "OPTIN"})


def read_preferences(user: User) -> UserPreferences:
    """The user's validated preferences; invalid fields fall back to their defaults."""
    raw: dict[str, Any] = dict(user.preferences or {})
    known = {key: raw[key] for key in UserPreferences.model_fields if key in raw}
    try:
        return UserPreferences.model_validate(known)
    except ValidationError:
        valid: dict[str, Any] = {}
        for key, value in known.items():
            try:
                UserPreferences.model_validate({key: value})
            except ValidationError:
                continue
            valid[key] = value
        return UserPreferences.model_validate(valid)


def user_timezone(user: User, fallback: str | None = None) -> tzinfo:
    """The user's own zone, else ``fallback`` (their clinic's), else UTC."""
    for name in (read_preferences(user).timezone, fallback):
        if name:
            try:
                return parse_timezone(name)
            except SchemaValidationException:
                continue
    return ZoneInfo("UTC")


def push_tokens(user: User) -> list[str]:
    """The device tokens recorded for the user's app installs (strings only, deduplicated)."""
    tokens = (user.preferences or {}).get(PUSH_TOKENS_KEY) or []
    if not isinstance(tokens, list):
        return []
    return list(dict.fromkeys(t for t in tokens if isinstance(t, str) and t))


def is_sms_opted_out(user: User) -> bool:
    """True after a STOP reply from the user's number (until START)."""
    return bool((user.preferences or {}).get(SMS_OPT_OUT_KEY))


def destinations(user: User, channel: NotificationChannel) -> tuple[str, ...]:
    """Where ``channel`` reaches the user; empty when it cannot (no phone, no device…)."""
    if channel is NotificationChannel.EMAIL:
        return (user.email,) if user.email else ()
    if channel is NotificationChannel.SMS:
        return (user.phone,) if user.phone else ()
    if channel is NotificationChannel.PUSH:
        return tuple(push_tokens(user))
    return (str(user.id),)


def allowed_channels(
    user: User, category: NotificationCategory = NotificationCategory.REMINDER
) -> list[NotificationChannel]:
    """The channels to use for ``category``: chosen by the user, reachable and not opted out.

    The order is the user's own; a per-category list, when present, narrows the general one.
    """
    chosen = list(read_preferences(user).notification_channels)
    per_category = (user.preferences or {}).get(CHANNELS_BY_CATEGORY_KEY)
    if isinstance(per_category, dict) and isinstance(per_category.get(category.value), list):
        narrowed = {str(value) for value in per_category[category.value]}
        chosen = [channel for channel in chosen if channel.value in narrowed]
    result: list[NotificationChannel] = []
    for channel in dict.fromkeys(chosen):
        if channel is NotificationChannel.SMS and is_sms_opted_out(user):
            continue
        if destinations(user, channel):
            result.append(channel)
    return result


def _in_quiet_hours(local: time, quiet: QuietHours) -> bool:
    if quiet.start < quiet.end:
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end


def next_allowed_send_time(
    user: User, at: datetime, *, fallback_timezone: str | None = None
) -> datetime:
    """``at`` itself, or the end of the user's quiet hours when ``at`` falls inside them.

    Quiet hours are wall-clock times in the user's own zone, so the end is found on the user's
    calendar (``wall_clock_instant`` resolves a quiet-hours end inside a DST gap to the first
    real instant after it). The result is aware and never earlier than ``at``.
    """
    quiet = read_preferences(user).quiet_hours
    if quiet is None:
        return at
    zone = user_timezone(user, fallback_timezone)
    local = to_zone(at, zone)
    if not _in_quiet_hours(local.time().replace(tzinfo=None), quiet):
        return at
    end_day = local.date()
    if quiet.start > quiet.end and local.time().replace(tzinfo=None) >= quiet.start:
        end_day += timedelta(days=1)
    end = wall_clock_instant(datetime.combine(end_day, quiet.end), zone)
    return max(end, at)


class SmsReplyOutcome(StrEnum):
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    IGNORED = "ignored"


def _keyword(body: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", "", body)).strip().upper()


async def users_with_phone(session: AsyncSession, phone: str) -> Sequence[User]:
    """Live users whose number is ``phone`` (a family may share one)."""
    rows = await session.execute(
        select(User).where(User.phone == phone.strip(), User.deleted_at.is_(None))
    )
    return rows.scalars().all()


async def record_sms_reply(
    session: AsyncSession, phone: str, body: str, *, at: datetime | None = None
) -> SmsReplyOutcome:
    """Record an inbound SMS: STOP (and synonyms) opts the number out, START opts it back in.

    The opt-out belongs to the *number* (that is how carriers apply it), so every user with that
    number is opted out. Anything else is ignored here (conversations handle real replies).
    """
    keyword = _keyword(body)
    if keyword in STOP_KEYWORDS:
        outcome = SmsReplyOutcome.OPTED_OUT
    elif keyword in START_KEYWORDS:
        outcome = SmsReplyOutcome.OPTED_IN
    else:
        return SmsReplyOutcome.IGNORED
    for user in await users_with_phone(session, phone):
        preferences = dict(user.preferences or {})
        if outcome is SmsReplyOutcome.OPTED_OUT:
            stamp = (at or utcnow()).isoformat()
            preferences[SMS_OPT_OUT_KEY] = {"at": stamp, "keyword": keyword}
        else:
            preferences.pop(SMS_OPT_OUT_KEY, None)
        # A new dict, so the ORM sees the JSONB change.
        user.preferences = preferences
    await session.flush()
    return outcome


async def forget_push_tokens(session: AsyncSession, user: User, tokens: Sequence[str]) -> None:
    """Drop device tokens FCM reported as unregistered (the app was removed)."""
    if not tokens:
        return
    gone = set(tokens)
    preferences = dict(user.preferences or {})
    preferences[PUSH_TOKENS_KEY] = [t for t in push_tokens(user) if t not in gone]
    user.preferences = preferences
    await session.flush()


__all__ = [
    "SmsReplyOutcome",
    "allowed_channels",
    "destinations",
    "forget_push_tokens",
    "is_sms_opted_out",
    "next_allowed_send_time",
    "push_tokens",
    "read_preferences",
    "record_sms_reply",
    "user_timezone",
]
