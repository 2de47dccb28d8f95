"""Clerk's Backend API, for what a session token does not carry (e-mail, names, metadata)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from vet_core.exceptions import AuthenticationException, ConfigurationException
from vet_services.auth.clerk import ClerkSettings


@dataclass(frozen=True, slots=True)
class ClerkUser:
    """A Clerk user as the platform needs it (from the API or from a webhook payload)."""

    id: str
    email: str | None
    first_name: str
    last_name: str
    phone: str | None = None
    public_metadata: dict[str, Any] = field(default_factory=dict)
    banned: bool = False
    locked: bool = False

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> ClerkUser:
        """Read Clerk's user object (``GET /v1/users/{id}`` and ``user.*`` webhooks alike)."""
        primary_email = data.get("primary_email_address_id")
        emails = data.get("email_addresses") or []
        email = next(
            (e.get("email_address") for e in emails if e.get("id") == primary_email),
            emails[0].get("email_address") if emails else None,
        )
        primary_phone = data.get("primary_phone_number_id")
        phones = data.get("phone_numbers") or []
        phone = next((p.get("phone_number") for p in phones if p.get("id") == primary_phone), None)
        metadata = data.get("public_metadata")
        return cls(
            id=str(data["id"]),
            email=email,
            first_name=(data.get("first_name") or "").strip(),
            last_name=(data.get("last_name") or "").strip(),
            phone=phone,
            public_metadata=metadata if isinstance(metadata, dict) else {},
            banned=bool(data.get("banned")),
            locked=bool(data.get("locked")),
        )


class ClerkDirectory:
    """Reads users from the Backend API (``CLERK_API_URL``, ``CLERK_SECRET_KEY``)."""

    def __init__(self, settings: ClerkSettings, client: httpx.AsyncClient | None = None) -> None:
        if settings.secret_key is None:
            raise ConfigurationException("CLERK_SECRET_KEY is needed to read users from Clerk")
        self._client = client or httpx.AsyncClient(
            base_url=settings.api_url.rstrip("/"),
            timeout=settings.http_timeout_seconds,
            headers={"Authorization": f"Bearer {settings.secret_key.get_secret_value()}"},
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get_user(self, user_id: str) -> ClerkUser:
        """The Clerk user ``user_id``; :class:`AuthenticationException` if Clerk does not know it."""
        try:
            response = await self._client.get(f"/v1/users/{user_id}")
        except httpx.HTTPError as exc:
            raise AuthenticationException(
                "The identity provider could not be reached", code="IDENTITY_PROVIDER_UNAVAILABLE"
            ) from exc
        if response.status_code == 404:
            raise AuthenticationException("Unknown user", code="UNKNOWN_USER")
        if response.status_code != 200:
            raise AuthenticationException(
                "The identity provider refused the request",
                code="IDENTITY_PROVIDER_UNAVAILABLE",
                details={"status": response.status_code},
            )
        return ClerkUser.from_payload(response.json())
