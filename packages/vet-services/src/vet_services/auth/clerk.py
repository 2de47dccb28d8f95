"""Verification of Clerk session tokens (RS256 JWTs).

The signature, expiry and not-before checks are done by ``clerk-backend-api``'s verifier, given
the public key as PEM. Where that key comes from is ours to decide, and so are the checks the SDK
leaves out:

* the key is either configured (``CLERK_JWT_KEY``, networkless) or taken from the instance's JWKS
  (``CLERK_JWKS_URL``), fetched over HTTPS, cached, and fetched again when a token names a key id
  we have not seen (key rotation) — at most once per ``jwks_min_refresh_seconds``, so that forged
  ``kid`` values cannot turn into a flood of requests;
* the SDK does not check ``iss``: we require it to equal the configured issuer;
* the SDK checks ``azp`` only when authorized parties are given: we always pass them when they
  are configured, and refuse a token whose ``azp`` is missing then;
* only ``RS256`` is accepted, from the header on: an ``HS256`` token "signed" with the public key
  (algorithm confusion) never reaches a verifier.

There is no other way in: no setting turns verification off.

A verified token's claims are kept in a bounded, per-process LRU keyed by the token itself, so
that its RS256 signature is checked once per process rather than on every request. An entry is
served only until the token's own ``exp`` (never beyond it, and without the clock-skew grace a
fresh verification would give); a token that fails any check is never kept.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
from clerk_backend_api.security.types import TokenVerificationError, VerifyTokenOptions
from clerk_backend_api.security.verifytoken import verify_token
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import RSAAlgorithm
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vet_core.exceptions import AuthenticationException, ConfigurationException

ACCEPTED_ALGORITHM = "RS256"
#: Verified tokens kept per process (a Clerk session token is about 1 KB).
DEFAULT_CLAIMS_CACHE_SIZE = 4096
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class ClerkSettings(BaseSettings):
    """How to trust Clerk session tokens (``CLERK_*``)."""

    model_config = SettingsConfigDict(env_prefix="CLERK_", env_file=".env", extra="ignore")

    issuer: str | None = Field(
        default=None, description="the instance's Frontend API URL, e.g. https://clerk.example.com"
    )
    jwks_url: str | None = Field(
        default=None, description="defaults to <issuer>/.well-known/jwks.json"
    )
    jwt_key: SecretStr | None = Field(
        default=None, description="PEM public key for networkless verification"
    )
    authorized_parties: list[str] = Field(
        default_factory=list, description="allowed `azp` origins, e.g. https://app.example.com"
    )
    clock_skew_seconds: int = Field(default=5, ge=0, le=300)
    jwks_cache_seconds: int = Field(default=3600, ge=0)
    jwks_min_refresh_seconds: float = Field(default=30.0, ge=0)
    http_timeout_seconds: float = Field(default=5.0, gt=0)
    api_url: str = Field(default="https://api.clerk.com", description="Clerk Backend API")
    secret_key: SecretStr | None = Field(default=None, description="Backend API secret key")
    webhook_secret: SecretStr | None = Field(default=None, description="whsec_… from Svix")

    @field_validator("jwks_url", "api_url")
    @classmethod
    def _https_unless_loopback(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme != "https" and not (
            parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
        ):
            raise ValueError("must be an https:// URL (http:// only on loopback)")
        return value

    @model_validator(mode="after")
    def _jwks_from_issuer(self) -> ClerkSettings:
        if self.jwks_url is None and self.issuer is not None and self.jwt_key is None:
            self.jwks_url = self._https_unless_loopback(
                self.issuer.rstrip("/") + "/.well-known/jwks.json"
            )
        return self


@dataclass(frozen=True, slots=True)
class ClerkClaims:
    """What a verified session token tells us."""

    user_id: str
    session_id: str | None
    issuer: str
    authorized_party: str | None
    expires_at: int
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    public_metadata: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


def _rejected(reason: str) -> AuthenticationException:
    return AuthenticationException(
        "The session token is invalid", code="INVALID_TOKEN", details={"reason": reason}
    )


class JwksCache:
    """The instance's signing keys, by key id, fetched over HTTP(S) and kept for a while."""

    def __init__(self, settings: ClerkSettings, client: httpx.AsyncClient | None = None) -> None:
        if settings.jwks_url is None:
            raise ConfigurationException("CLERK_JWKS_URL or CLERK_ISSUER must be set")
        self._url = settings.jwks_url
        self._ttl = settings.jwks_cache_seconds
        self._min_refresh = settings.jwks_min_refresh_seconds
        self._client = client or httpx.AsyncClient(timeout=settings.http_timeout_seconds)
        self._keys: dict[str, str] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    async def aclose(self) -> None:
        await self._client.aclose()

    async def pem_for(self, kid: str) -> str:
        """The PEM of key ``kid``, fetching the JWKS when it is stale or does not know ``kid``."""
        now = time.monotonic()
        if kid in self._keys and now - self._fetched_at < self._ttl:
            return self._keys[kid]
        async with self._lock:
            now = time.monotonic()
            stale = now - self._fetched_at >= self._ttl
            unknown = kid not in self._keys
            if stale or (unknown and now - self._fetched_at >= self._min_refresh):
                await self._refresh()
        if kid not in self._keys:
            raise _rejected("unknown-key-id")
        return self._keys[kid]

    async def _refresh(self) -> None:
        try:
            response = await self._client.get(self._url, headers={"Accept": "application/json"})
            response.raise_for_status()
            keys = response.json().get("keys", [])
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            if self._keys:
                return  # keep serving the keys we have; the next refresh may succeed
            raise AuthenticationException(
                "The signing keys could not be loaded", code="JWKS_UNAVAILABLE"
            ) from exc
        fresh: dict[str, str] = {}
        for key in keys:
            if key.get("kty") != "RSA" or "kid" not in key:
                continue
            public_key = RSAAlgorithm.from_jwk(key)
            pem = public_key.public_bytes(  # type: ignore[union-attr]
                encoding=serialization.Encoding.PEM,
                format=serialization.PublicFormat.SubjectPublicKeyInfo,
            )
            fresh[str(key["kid"])] = pem.decode()
        self._keys = fresh
        self._fetched_at = time.monotonic()
        self.fetch_count += 1


class ClerkTokenVerifier:
    """Verifies Clerk session tokens; one instance per process (it owns the JWKS cache)."""

    def __init__(
        self,
        settings: ClerkSettings,
        client: httpx.AsyncClient | None = None,
        *,
        cache_size: int = DEFAULT_CLAIMS_CACHE_SIZE,
    ) -> None:
        if settings.issuer is None:
            raise ConfigurationException("CLERK_ISSUER must be set to verify session tokens")
        self._settings = settings
        self._issuer = settings.issuer.rstrip("/")
        self._static_key = settings.jwt_key.get_secret_value() if settings.jwt_key else None
        self._jwks = None if self._static_key else JwksCache(settings, client)
        self._cache_size = cache_size
        self._verified: OrderedDict[str, ClerkClaims] = OrderedDict()

    async def aclose(self) -> None:
        if self._jwks is not None:
            await self._jwks.aclose()

    async def verify(self, token: str) -> ClerkClaims:
        """Verify ``token`` and return its claims, or raise :class:`AuthenticationException`.

        A token verified before in this process is answered from the cache until its ``exp``.
        """
        cached = self._verified.get(token)
        if cached is not None:
            if time.time() < cached.expires_at:
                self._verified.move_to_end(token)
                return cached
            del self._verified[token]
        claims = await self._verify(token)
        if self._cache_size > 0 and time.time() < claims.expires_at:
            self._verified[token] = claims
            if len(self._verified) > self._cache_size:
                self._verified.popitem(last=False)
        return claims

    async def _verify(self, token: str) -> ClerkClaims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise _rejected("malformed") from exc
        if header.get("alg") != ACCEPTED_ALGORITHM:
            raise _rejected("algorithm-not-allowed")
        if self._static_key is not None:
            pem = self._static_key
        else:
            kid = header.get("kid")
            if not isinstance(kid, str) or self._jwks is None:
                raise _rejected("missing-key-id")
            pem = await self._jwks.pem_for(kid)
        options = VerifyTokenOptions(
            jwt_key=pem,
            authorized_parties=self._settings.authorized_parties or None,
            clock_skew_in_ms=self._settings.clock_skew_seconds * 1000,
        )
        try:
            payload = verify_token(token, options)
        except TokenVerificationError as exc:
            raise _rejected(exc.reason.value[0] if exc.reason else "invalid") from exc
        return self._claims(payload)

    def _claims(self, payload: dict[str, Any]) -> ClerkClaims:
        if str(payload.get("iss", "")).rstrip("/") != self._issuer:
            raise _rejected("issuer-mismatch")
        subject = payload.get("sub")
        expires_at = payload.get("exp")
        if not isinstance(subject, str) or not subject:
            raise _rejected("missing-subject")
        if not isinstance(expires_at, int):
            raise _rejected("missing-expiry")
        metadata = payload.get("metadata") or payload.get("public_metadata") or {}
        return ClerkClaims(
            user_id=subject,
            session_id=payload.get("sid"),
            issuer=self._issuer,
            authorized_party=payload.get("azp"),
            expires_at=expires_at,
            email=payload.get("email"),
            first_name=payload.get("first_name"),
            last_name=payload.get("last_name"),
            public_metadata=metadata if isinstance(metadata, dict) else {},
            raw=payload,
        )


__all__ = ["ClerkClaims", "ClerkSettings", "ClerkTokenVerifier", "JwksCache"]
