"""``/api-keys``: clinic admins issue keys that then authenticate with exactly their scopes."""

from __future__ import annotations

from conftest import error_of


async def test_issue_use_and_revoke_a_key(api):
    clinic = await api.clinic()
    admin = await api.staff(clinic, "clinic_admin")
    created = await api.client.post(
        "/api/v1/api-keys",
        headers=api.auth(admin),
        json={"clinic_id": str(clinic.id), "name": "Lab", "permissions": ["pet:read"]},
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    listed = await api.client.get(
        "/api/v1/api-keys", headers=api.auth(admin), params={"clinic_id": str(clinic.id)}
    )
    assert [k["id"] for k in listed.json()] == [created.json()["id"]]
    assert "secret" not in listed.json()[0]

    # A key is not a person: person-only routes refuse it clearly.
    as_key = await api.client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
    assert as_key.status_code == 401
    assert error_of(as_key)["code"] == "USER_REQUIRED"

    revoked = await api.client.delete(
        f"/api/v1/api-keys/{created.json()['id']}", headers=api.auth(admin)
    )
    assert revoked.json()["revoked_at"] is not None
    after = await api.client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
    assert error_of(after)["code"] == "INVALID_API_KEY"


async def test_receptionists_cannot_issue_keys_and_strangers_see_nothing(api):
    clinic = await api.clinic()
    receptionist = await api.staff(clinic, "receptionist")
    stranger = await api.staff(await api.clinic(), "clinic_admin")
    body = {"clinic_id": str(clinic.id), "name": "Lab", "permissions": ["pet:read"]}
    assert (
        await api.client.post("/api/v1/api-keys", headers=api.auth(receptionist), json=body)
    ).status_code == 403
    assert (
        await api.client.post("/api/v1/api-keys", headers=api.auth(stranger), json=body)
    ).status_code == 404


async def test_ungrantable_permissions_are_422(api):
    clinic = await api.clinic()
    admin = await api.staff(clinic, "clinic_admin")
    response = await api.client.post(
        "/api/v1/api-keys",
        headers=api.auth(admin),
        json={"clinic_id": str(clinic.id), "name": "Lab", "permissions": ["api_key:manage"]},
    )
    assert response.status_code == 422
    assert error_of(response)["details"]["fields"][0]["field"] == "body.permissions"
