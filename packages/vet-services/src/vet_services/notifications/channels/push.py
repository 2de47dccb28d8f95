"""Push notifications through Firebase Cloud Messaging HTTP v1.

FCM v1 takes one device token per request (``POST /v1/projects/{project}/messages:send`` with a
bearer token), so a user with a phone and a tablet costs two requests. The delivery succeeds when
at least one device accepted it; tokens FCM reports as ``UNREGISTERED`` (app uninstalled) are
returned in ``details["unregistered_tokens"]`` so the dispatcher can forget them.
"""

from __future__ import annotations

from typing import Any

import httpx

from vet_core.models.enums import NotificationChannel
from vet_services.notifications.channels.base import DeliveryResult, OutgoingMessage
from vet_services.notifications.settings import FcmSettings

PROVIDER = "fcm"
_GONE = frozenset({"UNREGISTERED"})
_TRANSIENT_STATUSES = frozenset({"UNAVAILABLE", "INTERNAL", "QUOTA_EXCEEDED"})


def _fcm_error(response: httpx.Response) -> tuple[str, str | None]:
    """The readable error and FCM's ``errorCode`` (or the RPC status) of a failed send."""
    try:
        body: Any = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:300]}", None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return f"HTTP {response.status_code}: {response.text[:300]}", None
    code: str | None = error.get("status")
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("errorCode"):
            code = str(detail["errorCode"])
    return f"HTTP {response.status_code}: {code}: {error.get('message', '')}", code


class PushChannel:
    """Sends to every device token of the recipient."""

    def __init__(self, settings: FcmSettings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._client = client

    @property
    def channel(self) -> NotificationChannel:
        return NotificationChannel.PUSH

    @property
    def provider(self) -> str:
        return PROVIDER

    def _body(self, message: OutgoingMessage, token: str) -> dict[str, Any]:
        data = dict(message.data)
        if message.action_url:
            data["action_url"] = message.action_url
        return {
            "message": {
                "token": token,
                "notification": {"title": message.subject, "body": message.text},
                "data": data,
            }
        }

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        if not message.to:
            return DeliveryResult.failed(PROVIDER, "no device token", retryable=False)
        settings = self.settings
        url = f"{settings.base_url.rstrip('/')}/v1/projects/{settings.project_id}/messages:send"
        headers = {"Authorization": f"Bearer {settings.access_token.get_secret_value()}"}
        if self._client is not None:
            return await self._send_all(self._client, url, headers, message)
        async with httpx.AsyncClient(timeout=settings.timeout) as client:
            return await self._send_all(client, url, headers, message)

    async def _send_all(
        self,
        client: httpx.AsyncClient,
        url: str,
        headers: dict[str, str],
        message: OutgoingMessage,
    ) -> DeliveryResult:
        names: list[str] = []
        errors: list[str] = []
        unregistered: list[str] = []
        retryable = False
        for token in message.to:
            try:
                response = await client.post(url, json=self._body(message, token), headers=headers)
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                retryable = True
                continue
            if response.status_code == 200:
                names.append(str(response.json().get("name", "")))
                continue
            error, code = _fcm_error(response)
            errors.append(error)
            if code in _GONE:
                unregistered.append(token)
            elif (
                response.status_code == 429
                or response.status_code >= 500
                or code in _TRANSIENT_STATUSES
            ):
                retryable = True
        if names:
            return DeliveryResult.sent(
                PROVIDER, ",".join(names)[:255], unregistered_tokens=unregistered, errors=errors
            )
        return DeliveryResult.failed(
            PROVIDER, "; ".join(errors), retryable=retryable, unregistered_tokens=unregistered
        )


__all__ = ["PushChannel"]
