"""Cross-cutting behaviour: errors, authentication, request ids, headers, limits, health."""

from __future__ import annotations

import time

import pytest

from conftest import ISSUER, PUBLIC_PEM, error_of, hs256_forgery, mint


async def test_liveness_and_readiness_need_no_token(api):
    assert (await api.client.get("/health/live")).json() == {"status": "ok"}
    ready = await api.client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["database"] is True
    assert ready.json()["redis"] is True


async def test_readiness_is_503_when_redis_is_down(app_factory):
    import httpx

    app = await app_factory()
    await app.state.resources.redis.aclose()
    app.state.resources.redis = type(app.state.resources.redis).from_url("redis://127.0.0.1:9/0")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["redis"] is False


async def test_missing_token_is_401_with_www_authenticate(api):
    response = await api.client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert error_of(response)["code"] == "AUTHENTICATION_REQUIRED"


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        mint("user_x", exp=int(time.time()) - 600),
        mint("user_x", iss="https://someone-else.example"),
        hs256_forgery(
            {"iss": ISSUER, "sub": "user_x", "exp": int(time.time()) + 60}, PUBLIC_PEM.encode()
        ),
    ],
    ids=["garbage", "expired", "wrong-issuer", "hs256-confusion"],
)
async def test_invalid_tokens_are_401(api, token):
    response = await api.client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert error_of(response)["code"] == "INVALID_TOKEN"


async def test_a_valid_token_reaches_the_route(api):
    user = await api.user(first_name="Ada")
    response = await api.client.get("/api/v1/users/me", headers=api.auth(user))
    assert response.status_code == 200
    assert response.json()["first_name"] == "Ada"
    assert response.json()["id"] == str(user.id)


async def test_request_id_is_echoed_or_generated(api):
    given = await api.client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    generated = await api.client.get("/health/live", headers={"X-Request-ID": "bad id\n"})
    assert generated.headers["x-request-id"].startswith("req_")


async def test_unknown_routes_and_methods_use_the_envelope(api):
    missing = await api.client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "NOT_FOUND"
    wrong = await api.client.delete("/health/live")
    assert wrong.status_code == 405
    assert error_of(wrong)["code"] == "METHOD_NOT_ALLOWED"


async def test_validation_errors_are_422_naming_the_field(api):
    user = await api.user()
    response = await api.client.patch(
        "/api/v1/users/me", headers=api.auth(user), json={"phone": "not a phone"}
    )
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["fields"][0]["field"] == "body.phone"


async def test_an_empty_update_is_refused(api):
    user = await api.user()
    response = await api.client.patch("/api/v1/users/me", headers=api.auth(user), json={})
    assert response.status_code == 422


async def test_security_headers_are_set(api):
    response = await api.client.get("/health/live")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_bodies_above_the_limit_are_413(app_factory):
    import httpx

    app = await app_factory(max_body_bytes=2048)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.post("/api/v1/webhooks/clerk", content=b"x" * 5000)
    assert response.status_code == 413
    assert error_of(response)["code"] == "PAYLOAD_TOO_LARGE"


async def test_rate_limit_per_ip_is_429_with_retry_after(app_factory):
    import httpx

    app = await app_factory(rate_limit_per_minute_ip=3)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        statuses = [(await c.get("/api/v1/users/me")).status_code for _ in range(5)]
        limited = await c.get("/api/v1/users/me")
    assert statuses[:3] == [401, 401, 401]
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert error_of(limited)["code"] == "RATE_LIMITED"


async def test_unexpected_errors_are_500_without_internals(app_factory):
    import httpx

    app = await app_factory()

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
    ) as c:
        response = await c.get("/boom")
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "INTERNAL_ERROR"
    assert "hunter2" not in response.text
