"""The one path by which anything is sent: claim, send, record, retry.

For every channel the recipient allows, the dispatcher first *claims* a delivery row with
``INSERT … ON CONFLICT (dedup_key) DO NOTHING``. The key names what is sent, on which channel,
for which due time, so a job that runs twice, a retried task or two workers racing all insert the
same key and only one of them gets a row back; the others send nothing. (A concurrent claimer
waits on the first one's uncommitted row and then finds the conflict.) The rendered content is
stored on the row, so a retry sends exactly what the first attempt tried to send. The claim
lives in the caller's transaction: if the worker dies before committing, the claim rolls back
with everything else and the notice is sent again by the next run (at least once, never lost),
while any committed claim is final.

A failure keeps the provider's own error on the row. Transient failures stay ``pending`` with
``scheduled_for`` pushed back exponentially and are picked up by :meth:`Dispatcher.retry_due`;
permanent ones, and transient ones out of attempts, become ``failed``.

Nothing is sent to a user who is not active, nor about a pet that has died, nor inside the
recipient's quiet hours (the caller gets the time at which it may send instead).

:meth:`Dispatcher.dispatch_many` does the same for many notices at once (a reminder pass): every
claim is one row of a single ``INSERT … ON CONFLICT (dedup_key) DO NOTHING RETURNING``, in key
order (so two bulk claimers always meet on their first common key, never deadlock), and the rows
are written back with one flush after the sends. Each key is still claimed exactly once, in the
caller's transaction, before anything is sent on it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import NotificationDelivery, Pet, User
from vet_core.models.enums import (
    DeliveryStatus,
    NotificationCategory,
    NotificationChannel,
    PetStatus,
    UserStatus,
)
from vet_core.utils.time import utcnow
from vet_services.notifications.channels.base import Channel, DeliveryResult, OutgoingMessage
from vet_services.notifications.channels.in_app import InAppChannel
from vet_services.notifications.channels.sms import UNSUBSCRIBED_RECIPIENT
from vet_services.notifications.preferences import (
    SMS_OPT_OUT_KEY,
    allowed_channels,
    destinations,
    forget_push_tokens,
    next_allowed_send_time,
    read_preferences,
)
from vet_services.notifications.templates import RenderedMessage, TemplateRenderer

MAX_RETRY_DELAY = timedelta(hours=6)
#: Delivery rows per claim statement (13 bind parameters each).
CLAIM_CHUNK = 1_000


@dataclass(frozen=True, slots=True)
class Notice:
    """What to tell one recipient: a template, its context, and what it is about."""

    template: str
    context: Mapping[str, Any]
    category: NotificationCategory = NotificationCategory.REMINDER
    action_url: str | None = None
    reminder_id: uuid.UUID | None = None
    appointment_id: uuid.UUID | None = None
    data: Mapping[str, str] = field(default_factory=dict)


class DispatchStatus(StrEnum):
    #: At least one channel was attempted (see the deliveries for each outcome).
    ATTEMPTED = "attempted"
    #: Inside quiet hours: nothing claimed, try again at ``not_before``.
    DEFERRED = "deferred"
    #: Must not be sent at all (inactive user, deceased pet, no usable channel).
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class ChannelOutcome:
    """What happened on one channel: its delivery row, or ``None`` when another claimer won."""

    channel: NotificationChannel
    delivery_id: uuid.UUID | None
    status: DeliveryStatus | None
    error: str | None = None

    @property
    def duplicate(self) -> bool:
        return self.delivery_id is None


@dataclass(frozen=True, slots=True)
class DispatchOutcome:
    status: DispatchStatus
    channels: tuple[ChannelOutcome, ...] = ()
    not_before: datetime | None = None
    reason: str | None = None

    @property
    def sent(self) -> bool:
        return any(c.status is DeliveryStatus.SENT for c in self.channels)


@dataclass(frozen=True, slots=True)
class Dispatch:
    """One notice for one recipient, as :meth:`Dispatcher.dispatch` takes it."""

    recipient: User
    notice: Notice
    dedup_key: str
    due_at: datetime
    pets: Sequence[Pet] = ()
    fallback_timezone: str | None = None


@dataclass
class _Claim:
    """A delivery row to claim: which request and channel it is for, and its column values."""

    request: int
    channel: NotificationChannel
    values: dict[str, Any]


def _body_for(channel: NotificationChannel, rendered: Mapping[str, Any]) -> str:
    return str(rendered["text"] if channel is NotificationChannel.EMAIL else rendered["short"])


def skip_reason(recipient: User, pets: Sequence[Pet]) -> str | None:
    """Why nothing may be sent to ``recipient`` about ``pets``, or ``None`` when it may."""
    if recipient.status is not UserStatus.ACTIVE or recipient.deleted_at is not None:
        return "recipient_inactive"
    if any(p.status is PetStatus.DECEASED or p.deleted_at is not None for p in pets):
        return "pet_deceased"
    return None


class Dispatcher:
    """Sends notices through the configured channels; in-app is always available.

    ``channels`` are the external transports (e-mail, SMS, push); the in-app channel writes in
    the caller's session and is created per call.
    """

    def __init__(
        self,
        channels: Sequence[Channel] = (),
        renderer: TemplateRenderer | None = None,
        *,
        max_attempts: int = 5,
        retry_delay: timedelta = timedelta(minutes=5),
    ) -> None:
        self.channels: dict[NotificationChannel, Channel] = {c.channel: c for c in channels}
        self.renderer = renderer or TemplateRenderer()
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay

    def _channel(self, session: AsyncSession, channel: NotificationChannel) -> Channel | None:
        if channel is NotificationChannel.IN_APP:
            return self.channels.get(channel) or InAppChannel(session)
        return self.channels.get(channel)

    def next_retry_at(self, attempts: int, now: datetime) -> datetime:
        """Exponential backoff: 5, 10, 20… minutes after the ``attempts``-th failure, capped."""
        return now + min(self.retry_delay * (1 << max(attempts - 1, 0)), MAX_RETRY_DELAY)

    async def dispatch(
        self,
        session: AsyncSession,
        *,
        recipient: User,
        notice: Notice,
        dedup_key: str,
        due_at: datetime,
        now: datetime | None = None,
        pets: Sequence[Pet] = (),
        fallback_timezone: str | None = None,
    ) -> DispatchOutcome:
        """Send ``notice`` to ``recipient`` on every allowed channel, at most once per key.

        ``dedup_key`` identifies the notice (e.g. ``reminder:<id>:<due time>``); the channel is
        appended per delivery row. ``pets`` are the animals the notice is about.
        """
        request = Dispatch(recipient, notice, dedup_key, due_at, pets, fallback_timezone)
        [outcome] = await self.dispatch_many(session, [request], now=now)
        return outcome

    async def dispatch_many(
        self, session: AsyncSession, requests: Sequence[Dispatch], *, now: datetime | None = None
    ) -> list[DispatchOutcome]:
        """:meth:`dispatch` for each of ``requests``, with one claim statement for them all.

        The outcomes are in the order of ``requests``. A key given twice is claimed (and sent)
        once: the later request sees it as a duplicate, as another claimer would.
        """
        now = now or utcnow()
        outcomes: list[DispatchOutcome | None] = [None] * len(requests)
        claims: list[_Claim] = []
        for index, request in enumerate(requests):
            early = self._plan(session, index, request, now, claims)
            if early is not None:
                outcomes[index] = early
        claimed = await self._claim(session, claims)
        per_request: dict[int, list[ChannelOutcome]] = {}
        for claim in claims:
            key = claim.values["dedup_key"]
            delivery = claimed.pop(key, None)
            if delivery is None:
                outcome = ChannelOutcome(claim.channel, None, None)
            else:
                recipient = requests[claim.request].recipient
                outcome = await self._attempt(session, delivery, recipient, now, flush=False)
            per_request.setdefault(claim.request, []).append(outcome)
        if claims:
            await session.flush()
        for index, channels in per_request.items():
            outcomes[index] = DispatchOutcome(DispatchStatus.ATTEMPTED, channels=tuple(channels))
        return [outcome for outcome in outcomes if outcome is not None]

    def _plan(
        self,
        session: AsyncSession,
        index: int,
        request: Dispatch,
        now: datetime,
        claims: list[_Claim],
    ) -> DispatchOutcome | None:
        """Skip or defer ``request`` (its outcome), or add its claims and return ``None``."""
        recipient, notice = request.recipient, request.notice
        reason = skip_reason(recipient, request.pets)
        if reason is not None:
            return DispatchOutcome(DispatchStatus.SKIPPED, reason=reason)
        allowed = next_allowed_send_time(
            recipient, max(now, request.due_at), fallback_timezone=request.fallback_timezone
        )
        if allowed > now:
            return DispatchOutcome(DispatchStatus.DEFERRED, not_before=allowed)
        usable = [
            channel
            for channel in allowed_channels(recipient, notice.category)
            if self._channel(session, channel) is not None
        ]
        if not usable:
            return DispatchOutcome(DispatchStatus.SKIPPED, reason="no_channel")
        language = read_preferences(recipient).language
        rendered = self.renderer.render(notice.template, language, notice.context)
        for channel in usable:
            values = self._claim_values(
                session,
                recipient,
                notice,
                rendered,
                channel,
                f"{request.dedup_key}:{channel}",
                now,
                request.pets,
            )
            claims.append(_Claim(index, channel, values))
        return None

    def _claim_values(
        self,
        session: AsyncSession,
        recipient: User,
        notice: Notice,
        rendered: RenderedMessage,
        channel: NotificationChannel,
        key: str,
        now: datetime,
        pets: Sequence[Pet],
    ) -> dict[str, Any]:
        to = destinations(recipient, channel)
        payload: dict[str, Any] = {
            "to": list(to),
            "subject": rendered.subject,
            "text": rendered.text,
            "html": rendered.html,
            "short": rendered.short,
            "language": rendered.language,
            "category": notice.category.value,
            "action_url": notice.action_url,
            "data": dict(notice.data),
            "pet_ids": [str(p.id) for p in pets],
        }
        transport = self._channel(session, channel)
        return {
            "user_id": recipient.id,
            "channel": channel,
            "status": DeliveryStatus.SENDING,
            "dedup_key": key,
            "template": notice.template,
            "destination": ",".join(to)[:320] or None,
            "reminder_id": notice.reminder_id,
            "appointment_id": notice.appointment_id,
            "payload": payload,
            "scheduled_for": now,
            "provider": transport.provider if transport else None,
            "attempts": 1,
            "last_attempt_at": now,
        }

    async def _claim(
        self, session: AsyncSession, claims: Sequence[_Claim]
    ) -> dict[str, NotificationDelivery]:
        """Insert the claims' rows, skipping taken keys; the rows this call got, by key.

        Rows go in key order: two claimers of overlapping key sets lock them in the same order,
        so one waits for the other instead of deadlocking.
        """
        rows: dict[str, dict[str, Any]] = {}
        for claim in claims:
            rows.setdefault(claim.values["dedup_key"], claim.values)
        claimed: dict[str, NotificationDelivery] = {}
        keys = sorted(rows)
        # Chunks keep each statement well under the driver's 32,767 bind parameters.
        for start in range(0, len(keys), CLAIM_CHUNK):
            statement = (
                insert(NotificationDelivery)
                .values([rows[key] for key in keys[start : start + CLAIM_CHUNK]])
                .on_conflict_do_nothing(index_elements=[NotificationDelivery.dedup_key])
                .returning(NotificationDelivery)
            )
            for delivery in await session.scalars(statement):
                claimed[delivery.dedup_key] = delivery
        return claimed

    async def aclose(self) -> None:
        """Close what the channels keep open on the running event loop (SMTP connections)."""
        for transport in self.channels.values():
            close = getattr(transport, "aclose", None)
            if close is not None:
                await close()

    def _message(self, delivery: NotificationDelivery) -> OutgoingMessage:
        payload = delivery.payload
        return OutgoingMessage(
            user_id=delivery.user_id,
            to=tuple(payload.get("to") or ()),
            subject=str(payload.get("subject", "")),
            text=_body_for(delivery.channel, payload),
            html=payload.get("html") if delivery.channel is NotificationChannel.EMAIL else None,
            category=NotificationCategory(payload.get("category", NotificationCategory.REMINDER)),
            action_url=payload.get("action_url"),
            data={str(k): str(v) for k, v in (payload.get("data") or {}).items()},
            dedup_key=delivery.dedup_key,
        )

    async def _attempt(
        self,
        session: AsyncSession,
        delivery: NotificationDelivery,
        recipient: User,
        now: datetime,
        *,
        flush: bool = True,
    ) -> ChannelOutcome:
        """Send a claimed delivery once and record the result on its row (flushed if asked)."""
        transport = self._channel(session, delivery.channel)
        if transport is None:
            result = DeliveryResult.failed(
                delivery.provider or delivery.channel.value,
                f"channel {delivery.channel} is not configured",
                retryable=False,
            )
        else:
            result = await transport.send(self._message(delivery))
        delivery.provider = result.provider
        delivery.last_attempt_at = now
        if result.ok:
            delivery.status = DeliveryStatus.SENT
            delivery.provider_message_id = result.provider_message_id
            delivery.sent_at = now
            delivery.error = None
            if delivery.channel is NotificationChannel.IN_APP and result.provider_message_id:
                delivery.notification_id = uuid.UUID(result.provider_message_id)
        else:
            delivery.error = result.error
            if result.retryable and delivery.attempts < self.max_attempts:
                delivery.status = DeliveryStatus.PENDING
                delivery.scheduled_for = self.next_retry_at(delivery.attempts, now)
            else:
                delivery.status = DeliveryStatus.FAILED
        await self._learn(session, recipient, result)
        if flush:
            await session.flush()
        return ChannelOutcome(delivery.channel, delivery.id, delivery.status, delivery.error)

    async def _learn(self, session: AsyncSession, recipient: User, result: DeliveryResult) -> None:
        """Keep what a provider told us about the recipient: dead tokens, a carrier STOP."""
        gone = result.details.get("unregistered_tokens")
        if isinstance(gone, list) and gone:
            await forget_push_tokens(session, recipient, [str(t) for t in gone])
        if result.details.get("twilio_code") == UNSUBSCRIBED_RECIPIENT:
            preferences = dict(recipient.preferences or {})
            preferences.setdefault(
                SMS_OPT_OUT_KEY, {"at": utcnow().isoformat(), "keyword": "carrier"}
            )
            recipient.preferences = preferences

    async def retry_due(
        self, session: AsyncSession, now: datetime | None = None, *, limit: int = 100
    ) -> list[ChannelOutcome]:
        """Attempt again every failed delivery whose retry time has come.

        Rows are locked with ``SKIP LOCKED`` so several workers share the work without sending
        one row twice. The stored content is sent as it was; a recipient who became inactive
        meanwhile, or a pet that died, turns the delivery into ``skipped``.
        """
        now = now or utcnow()
        rows = await session.execute(
            select(NotificationDelivery)
            .where(
                NotificationDelivery.status == DeliveryStatus.PENDING,
                NotificationDelivery.attempts > 0,
                NotificationDelivery.scheduled_for <= now,
            )
            .order_by(NotificationDelivery.scheduled_for)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        outcomes: list[ChannelOutcome] = []
        for delivery in rows.scalars().all():
            recipient = await session.get_one(User, delivery.user_id)
            pet_ids = [uuid.UUID(p) for p in delivery.payload.get("pet_ids") or []]
            pets = (
                (await session.execute(select(Pet).where(Pet.id.in_(pet_ids)))).scalars().all()
                if pet_ids
                else []
            )
            reason = skip_reason(recipient, pets)
            if reason is not None:
                delivery.status = DeliveryStatus.SKIPPED
                delivery.error = reason
                await session.flush()
                outcomes.append(
                    ChannelOutcome(delivery.channel, delivery.id, delivery.status, reason)
                )
                continue
            delivery.attempts += 1
            outcomes.append(await self._attempt(session, delivery, recipient, now))
        return outcomes


__all__ = [
    "ChannelOutcome",
    "Dispatch",
    "DispatchOutcome",
    "DispatchStatus",
    "Dispatcher",
    "Notice",
    "skip_reason",
]
