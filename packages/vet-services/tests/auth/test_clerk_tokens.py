"""Clerk session tokens: real RS256 JWTs checked against a JWKS served on loopback."""

from __future__ import annotations

import time

import jwt
import pytest
from pydantic import ValidationError

from vet_core.exceptions import AuthenticationException
from vet_services.auth.clerk import ClerkSettings, ClerkTokenVerifier

from .conftest import AZP, ISSUER, SigningKey


def make_verifier(clerk, **settings) -> ClerkTokenVerifier:
    options = {
        "issuer": ISSUER,
        "jwks_url": f"{clerk.url}/.well-known/jwks.json",
        "authorized_parties": [AZP],
        "jwks_min_refresh_seconds": 0,
    }
    options.update(settings)
    return ClerkTokenVerifier(ClerkSettings(**options))


async def reason_of(verifier: ClerkTokenVerifier, token: str) -> str:
    with pytest.raises(AuthenticationException) as caught:
        await verifier.verify(token)
    assert caught.value.http_status == 401
    return str(caught.value.details.get("reason"))


async def test_a_valid_token_gives_its_claims(clerk):
    verifier = make_verifier(clerk)
    token = clerk.key.mint(email="ada@example.com", metadata={"role": "veterinarian"})
    claims = await verifier.verify(token)
    assert claims.user_id == "user_2abc"
    assert claims.session_id == "sess_123"
    assert claims.email == "ada@example.com"
    assert claims.public_metadata == {"role": "veterinarian"}
    assert claims.authorized_party == AZP
    await verifier.aclose()


async def test_keys_are_cached_between_tokens(clerk):
    verifier = make_verifier(clerk)
    for _ in range(5):
        await verifier.verify(clerk.key.mint())
    assert clerk.jwks_fetches() == 1


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": int(time.time()) - 60}, "token-expired"),
        ({"nbf": int(time.time()) + 120}, "token-not-active-yet"),
        ({"iss": "https://evil.example"}, "issuer-mismatch"),
        ({"iss": None}, "issuer-mismatch"),
        ({"azp": "https://evil.example"}, "token-invalid-authorized-parties"),
        ({"azp": None}, "token-invalid-authorized-parties"),
        ({"sub": None}, "missing-subject"),
        ({"exp": None}, "missing-expiry"),
    ],
)
async def test_bad_claims_are_refused(clerk, claims, reason):
    assert await reason_of(make_verifier(clerk), clerk.key.mint(**claims)) == reason


async def test_a_small_clock_skew_is_tolerated(clerk):
    verifier = make_verifier(clerk, clock_skew_seconds=10)
    now = int(time.time())
    assert await verifier.verify(clerk.key.mint(exp=now - 3, nbf=now + 3))


async def test_authorized_parties_are_optional(clerk):
    verifier = make_verifier(clerk, authorized_parties=[])
    assert await verifier.verify(clerk.key.mint(azp=None))


async def test_hs256_signed_with_the_public_key_is_refused(clerk):
    """Algorithm confusion: the public key used as an HMAC secret must never verify."""
    verifier = make_verifier(clerk, jwt_key=clerk.key.public_pem)
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "user_x", "azp": AZP, "exp": now + 60, "iat": now}
    forged = _hs256(claims, clerk.key.public_pem.encode(), clerk.key.kid)
    assert await reason_of(verifier, forged) == "algorithm-not-allowed"


def _hs256(claims: dict, secret: bytes, kid: str) -> str:
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    payload = b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


async def test_unsigned_tokens_are_refused(clerk):
    token = jwt.encode({"iss": ISSUER, "sub": "u", "exp": int(time.time()) + 60}, None, "none")
    assert await reason_of(make_verifier(clerk), token) == "algorithm-not-allowed"


async def test_garbage_is_refused(clerk):
    assert await reason_of(make_verifier(clerk), "not-a-jwt") == "malformed"


async def test_a_token_signed_by_another_key_with_a_known_kid_is_refused(clerk):
    impostor = SigningKey(clerk.key.kid)
    assert await reason_of(make_verifier(clerk), impostor.mint()) == "token-invalid-signature"


async def test_key_rotation_fetches_the_jwks_again_for_an_unknown_kid(clerk):
    verifier = make_verifier(clerk)
    await verifier.verify(clerk.key.mint())
    rotated = SigningKey("ins_key_2")
    clerk.keys.append(rotated)
    assert await verifier.verify(rotated.mint())
    assert clerk.jwks_fetches() == 2


async def test_unknown_kids_cannot_force_a_fetch_per_request(clerk):
    verifier = make_verifier(clerk, jwks_min_refresh_seconds=60)
    await verifier.verify(clerk.key.mint())
    for number in range(5):
        assert await reason_of(verifier, clerk.key.mint(kid=f"forged_{number}")) == "unknown-key-id"
    assert clerk.jwks_fetches() == 1


async def test_a_configured_pem_key_verifies_without_network(clerk):
    verifier = make_verifier(clerk, jwks_url=None, jwt_key=clerk.key.public_pem)
    assert (await verifier.verify(clerk.key.mint())).user_id == "user_2abc"
    assert clerk.jwks_fetches() == 0


async def test_an_unreachable_jwks_is_a_clear_authentication_error():
    verifier = ClerkTokenVerifier(
        ClerkSettings(issuer=ISSUER, jwks_url="http://127.0.0.1:9/jwks.json")
    )
    with pytest.raises(AuthenticationException) as caught:
        await verifier.verify(SigningKey("k").mint())
    assert caught.value.code == "JWKS_UNAVAILABLE"


@pytest.mark.parametrize("url", ["http://clerk.example.com/jwks", "ftp://x/jwks"])
def test_jwks_must_be_fetched_over_https(url):
    with pytest.raises(ValidationError, match="https"):
        ClerkSettings(issuer=ISSUER, jwks_url=url)


def test_the_jwks_url_defaults_to_the_issuers_well_known_path():
    assert ClerkSettings(issuer=ISSUER).jwks_url == f"{ISSUER}/.well-known/jwks.json"


async def test_a_verified_token_is_checked_once_then_served_until_its_exp(clerk, monkeypatch):
    import asyncio

    import vet_services.auth.clerk as module

    verifier = make_verifier(clerk, clock_skew_seconds=0)
    expires = int(time.time()) + 2
    token = clerk.key.mint(exp=expires)
    calls = 0
    real = module.verify_token

    def counting(*args, **kwargs):
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "verify_token", counting)
    first = await verifier.verify(token)
    assert await verifier.verify(token) is first
    assert calls == 1
    # Once the token's own exp has passed, the cached entry is never served again.
    await asyncio.sleep(max(0.0, expires - time.time()) + 0.2)
    assert await reason_of(verifier, token) == "token-expired"
    assert calls == 2
    assert token not in verifier._verified
    await verifier.aclose()


async def test_an_invalid_token_is_never_cached(clerk):
    verifier = make_verifier(clerk)
    forged = clerk.key.mint(iss="https://evil.example")
    for _ in range(2):
        assert await reason_of(verifier, forged) == "issuer-mismatch"
    assert forged not in verifier._verified
    await verifier.aclose()


async def test_the_claims_cache_is_bounded(clerk):
    verifier = ClerkTokenVerifier(
        ClerkSettings(
            issuer=ISSUER,
            jwks_url=f"{clerk.url}/.well-known/jwks.json",
            authorized_parties=[AZP],
        ),
        cache_size=2,
    )
    tokens = [clerk.key.mint(sid=f"sess_{i}") for i in range(3)]
    for token in tokens:
        await verifier.verify(token)
    assert list(verifier._verified) == tokens[1:]
    await verifier.aclose()
