"""``/users``: profile, preferences, administration."""

from __future__ import annotations

from conftest import error_of


async def test_update_my_profile(api):
    user = await api.user()
    response = await api.client.patch(
        "/api/v1/users/me",
        headers=api.auth(user),
        json={"first_name": "Grace", "phone": "+1 (212) 555-0100"},
    )
    assert response.status_code == 200
    assert response.json()["first_name"] == "Grace"
    assert response.json()["phone"] == "+12125550100"


async def test_email_is_managed_by_the_sign_in_provider(api):
    user = await api.user()
    response = await api.client.patch(
        "/api/v1/users/me", headers=api.auth(user), json={"email": "other@example.com"}
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "FIELD_NOT_EDITABLE"


async def test_preferences_round_trip(api):
    user = await api.user()
    headers = api.auth(user)
    prefs = {
        "timezone": "Europe/London",
        "language": "en",
        "notification_channels": ["email", "sms"],
        "quiet_hours": {"start": "22:00:00", "end": "07:00:00"},
    }
    assert (
        await api.client.put("/api/v1/users/me/preferences", headers=headers, json=prefs)
    ).status_code == 200
    stored = (await api.client.get("/api/v1/users/me/preferences", headers=headers)).json()
    assert stored["timezone"] == "Europe/London"
    assert stored["notification_channels"] == ["email", "sms"]
    bad = await api.client.put(
        "/api/v1/users/me/preferences", headers=headers, json={**prefs, "timezone": "Mars/Base"}
    )
    assert bad.status_code == 422


async def test_only_platform_admins_list_and_administer_users(api):
    admin = await api.user("platform_admin")
    owner = await api.user()
    forbidden = await api.client.get("/api/v1/users", headers=api.auth(owner))
    assert forbidden.status_code == 403
    listed = await api.client.get("/api/v1/users?limit=1", headers=api.auth(admin))
    assert listed.status_code == 200
    assert len(listed.json()["items"]) == 1
    assert listed.json()["next_cursor"]
    changed = await api.client.patch(
        f"/api/v1/users/{owner.id}", headers=api.auth(admin), json={"role": "receptionist"}
    )
    assert changed.status_code == 200
    assert changed.json()["role"] == "receptionist"


async def test_another_persons_account_is_not_found(api):
    me, other = await api.user(), await api.user()
    response = await api.client.get(f"/api/v1/users/{other.id}", headers=api.auth(me))
    assert response.status_code == 404
    own = await api.client.get(f"/api/v1/users/{me.id}", headers=api.auth(me))
    assert own.status_code == 200


async def test_pagination_walks_every_user_once(api):
    admin = await api.user("platform_admin")
    for _ in range(4):
        await api.user()
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (
            await api.client.get("/api/v1/users", headers=api.auth(admin), params=params)
        ).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) >= 5
    bad = await api.client.get("/api/v1/users?cursor=%%%", headers=api.auth(admin))
    assert bad.status_code == 422
