"""The cheap authenticated path: cached actors, one Redis round trip for both rate limits."""

from __future__ import annotations

import asyncio

import httpx

from vet_core.models.enums import UserStatus

from conftest import Api, error_of, mint

ME = "/api/v1/users/me"


async def test_with_no_actor_cache_a_suspension_applies_at_once(api: Api) -> None:
    assert api.app.state.resources.actors.ttl_seconds == 0  # the test default
    user = await api.user()
    headers = api.auth(user)
    assert (await api.client.get(ME, headers=headers)).status_code == 200
    user.status = UserStatus.SUSPENDED
    await api.session.flush()
    refused = await api.client.get("/api/v1/pets", headers=headers)
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "ACCOUNT_DISABLED"


async def test_a_cached_actor_is_used_until_its_ttl_passes(api: Api) -> None:
    actors = api.app.state.resources.actors
    actors.ttl_seconds = 0.5
    try:
        user = await api.user()
        headers = api.auth(user)
        assert (await api.client.get("/api/v1/pets", headers=headers)).status_code == 200
        assert actors.get(user.clerk_user_id) is not None
        user.status = UserStatus.SUSPENDED
        await api.session.flush()
        # Within the TTL the cached actor still answers routes that need no user row...
        assert (await api.client.get("/api/v1/pets", headers=headers)).status_code == 200
        # ...while a route that loads the user row refuses at once.
        assert (await api.client.get(ME, headers=headers)).status_code == 403
        await asyncio.sleep(0.6)
        refused = await api.client.get("/api/v1/pets", headers=headers)
        assert refused.status_code == 403
        assert error_of(refused)["code"] == "ACCOUNT_DISABLED"
    finally:
        actors.ttl_seconds = 0
        actors.forget()


async def _statuses(app, path: str, headers: dict[str, str], n: int) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return [await client.get(path, headers=headers) for _ in range(n)]


async def test_the_user_limit_is_429_with_retry_after(app_factory, api: Api) -> None:
    app = await app_factory(rate_limit_per_minute_user=2)
    app.state.resources.sessions = api.app.state.resources.sessions
    app.state.resources.read_sessions = api.app.state.resources.read_sessions
    user = await api.user()
    responses = await _statuses(
        app, "/api/v1/pets", {"Authorization": f"Bearer {mint(user.clerk_user_id)}"}, 3
    )
    assert [r.status_code for r in responses] == [200, 200, 429]
    limited = responses[-1]
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    error = error_of(limited)
    assert error["code"] == "RATE_LIMITED"
    assert error["details"]["scope"] == "user"


async def test_the_address_limit_applies_to_requests_with_a_token_too(
    app_factory, api: Api
) -> None:
    app = await app_factory(rate_limit_per_minute_ip=2)
    app.state.resources.sessions = api.app.state.resources.sessions
    app.state.resources.read_sessions = api.app.state.resources.read_sessions
    user = await api.user()
    headers = {"Authorization": f"Bearer {mint(user.clerk_user_id)}"}
    responses = await _statuses(app, "/api/v1/pets", headers, 3)
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert error_of(responses[-1])["details"]["scope"] == "ip"
    assert 1 <= int(responses[-1].headers["retry-after"]) <= 60
    # A bad token, a public route and an unknown path: still counted, still refused.
    for path, token in (
        ("/api/v1/pets", "not-a-jwt"),
        ("/api/v1/clinics/search?latitude=40.7&longitude=-74&radius_km=5", "x"),
        ("/api/v1/nowhere", "x"),
    ):
        (limited,) = await _statuses(app, path, {"Authorization": f"Bearer {token}"}, 1)
        assert limited.status_code == 429, path
        assert error_of(limited)["details"]["scope"] == "ip"
        assert limited.headers["retry-after"]
