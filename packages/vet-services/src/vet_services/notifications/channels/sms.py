"""SMS through Twilio's REST API (``POST /2010-04-01/Accounts/{sid}/Messages.json``).

Twilio answers errors as JSON (``code``, ``message``, ``more_info``); the code is kept in the
recorded error because it says what to do: 21610 means the recipient replied STOP, 21211 an
invalid number, 20429 a rate limit.
"""

from __future__ import annotations

from typing import Any

import httpx

from vet_core.models.enums import NotificationChannel
from vet_services.notifications.channels.base import DeliveryResult, OutgoingMessage
from vet_services.notifications.settings import TwilioSettings

PROVIDER = "twilio"
#: Twilio's "Attempt to send to unsubscribed recipient": the carrier holds a STOP.
UNSUBSCRIBED_RECIPIENT = 21610


def _error_of(response: httpx.Response) -> tuple[str, int | None]:
    try:
        body: Any = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:500]}", None
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}: {response.text[:500]}", None
    code = body.get("code")
    text = f"HTTP {response.status_code}: Twilio error {code}: {body.get('message', '')}".strip()
    return text, code if isinstance(code, int) else None


class SmsChannel:
    """Sends text messages from :attr:`TwilioSettings.from_number`."""

    def __init__(self, settings: TwilioSettings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._client = client

    @property
    def channel(self) -> NotificationChannel:
        return NotificationChannel.SMS

    @property
    def provider(self) -> str:
        return PROVIDER

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        if not message.to:
            return DeliveryResult.failed(PROVIDER, "no phone number", retryable=False)
        settings = self.settings
        url = (
            f"{settings.base_url.rstrip('/')}/2010-04-01/Accounts/{settings.account_sid}"
            "/Messages.json"
        )
        form = {"To": message.to[0], "Body": message.text}
        if settings.messaging_service_sid:
            form["MessagingServiceSid"] = settings.messaging_service_sid
        else:
            form["From"] = settings.from_number
        auth = httpx.BasicAuth(settings.account_sid, settings.auth_token.get_secret_value())
        try:
            if self._client is not None:
                response = await self._client.post(url, data=form, auth=auth)
            else:
                async with httpx.AsyncClient(timeout=settings.timeout) as client:
                    response = await client.post(url, data=form, auth=auth)
        except httpx.HTTPError as exc:
            return DeliveryResult.failed(PROVIDER, f"{type(exc).__name__}: {exc}", retryable=True)
        if response.status_code in (200, 201):
            sid = response.json().get("sid")
            if isinstance(sid, str) and sid:
                return DeliveryResult.sent(PROVIDER, sid)
            return DeliveryResult.failed(PROVIDER, "Twilio answered without a sid", retryable=True)
        error, code = _error_of(response)
        retryable = response.status_code == 429 or response.status_code >= 500
        return DeliveryResult.failed(PROVIDER, error, retryable=retryable, twilio_code=code)


__all__ = ["UNSUBSCRIBED_RECIPIENT", "SmsChannel"]
