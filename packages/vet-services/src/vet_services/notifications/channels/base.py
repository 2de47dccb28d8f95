"""The one interface every delivery channel implements, and what it hands back.

A channel only *transports* an already rendered message; choosing who, when and whether is the
dispatcher's job. Errors are returned, not raised, so that the dispatcher records the provider's
own words on the delivery row and decides on a retry.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from vet_core.models.enums import NotificationCategory, NotificationChannel


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A rendered message for one recipient on one channel.

    ``to`` is the address on that channel: one e-mail address, one E.164 number, the device
    tokens of a push recipient, or nothing for in-app (the user id is the address).
    """

    user_id: uuid.UUID
    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    category: NotificationCategory = NotificationCategory.REMINDER
    action_url: str | None = None
    data: Mapping[str, str] = field(default_factory=dict)
    #: Stable across retries: lets a provider (or our log) recognise the same message.
    dedup_key: str = ""


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """The outcome of one attempt: a provider id on success, the provider's error otherwise.

    ``retryable`` separates a transient failure (timeout, 5xx, rate limit) from a permanent one
    (invalid number, unknown token) that no retry can fix.
    """

    ok: bool
    provider: str
    provider_message_id: str | None = None
    error: str | None = None
    retryable: bool = False
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def sent(cls, provider: str, message_id: str, **details: Any) -> DeliveryResult:
        return cls(ok=True, provider=provider, provider_message_id=message_id, details=details)

    @classmethod
    def failed(
        cls, provider: str, error: str, *, retryable: bool, **details: Any
    ) -> DeliveryResult:
        return cls(ok=False, provider=provider, error=error, retryable=retryable, details=details)


class Channel(Protocol):
    """Something that can carry an :class:`OutgoingMessage` to its recipient."""

    @property
    def channel(self) -> NotificationChannel:
        """Which channel this is (the delivery log's ``channel``)."""
        ...

    @property
    def provider(self) -> str:
        """The provider's name as recorded on the delivery (``smtp``, ``twilio``, ``fcm``…)."""
        ...

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        """Deliver ``message``; never raises for a provider failure (it is in the result)."""
        ...


__all__ = ["Channel", "DeliveryResult", "OutgoingMessage"]
