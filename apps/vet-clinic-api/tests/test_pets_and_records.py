"""``/pets`` and the clinical record routes over HTTP, including who may see what."""

from __future__ import annotations

import pytest

from conftest import error_of


async def test_create_list_update_and_delete_my_pet(api):
    owner = await api.user()
    headers = api.auth(owner)
    created = await api.client.post(
        "/api/v1/pets",
        headers=headers,
        json={
            "name": "Miso",
            "species": "cat",
            "birth_date": "2021-04-02",
            "microchip": "985112345678901",
        },
    )
    assert created.status_code == 201, created.text
    pet_id = created.json()["id"]
    listed = await api.client.get("/api/v1/pets", headers=headers)
    assert [p["id"] for p in listed.json()["items"]] == [pet_id]
    patched = await api.client.patch(
        f"/api/v1/pets/{pet_id}", headers=headers, json={"color": "tabby"}
    )
    assert patched.json()["color"] == "tabby"
    weight = await api.client.post(
        f"/api/v1/pets/{pet_id}/weights", headers=headers, json={"weight_kg": "4.2"}
    )
    assert weight.status_code == 201, weight.text
    assert (await api.client.delete(f"/api/v1/pets/{pet_id}", headers=headers)).status_code == 204
    assert (await api.client.get(f"/api/v1/pets/{pet_id}", headers=headers)).status_code == 404


async def test_a_taken_microchip_is_409(api):
    owner = await api.user()
    await api.pet(owner, microchip="985112345678902")
    response = await api.client.post(
        "/api/v1/pets",
        headers=api.auth(owner),
        json={
            "name": "Twin",
            "species": "dog",
            "birth_date": "2022-01-01",
            "microchip": "985112345678902",
        },
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "MICROCHIP_TAKEN"


async def test_invalid_pet_input_is_422_naming_the_field(api):
    owner = await api.user()
    response = await api.client.post(
        "/api/v1/pets",
        headers=api.auth(owner),
        json={"name": "Rex", "species": "dragon", "birth_date": "2022-01-01"},
    )
    assert response.status_code == 422
    assert error_of(response)["details"]["fields"][0]["field"] == "body.species"


@pytest.fixture
async def world(api):
    """A pet treated at one clinic, its owner, that clinic's staff, and another clinic's staff."""
    clinic, other_clinic = await api.clinic(), await api.clinic()
    owner = await api.user()
    pet = await api.pet(owner)
    vet_user, vet = await api.veterinarian(clinic)
    await api.appointment(pet, vet, clinic, owner)
    return {
        "pet": pet,
        "clinic": clinic,
        "owner": owner,
        "stranger": await api.user(),
        "receptionist": await api.staff(clinic, "receptionist"),
        "vet": vet_user,
        "other_vet": (await api.veterinarian(other_clinic))[0],
        "admin": await api.user("platform_admin"),
    }


READ_ROUTES = [
    "/api/v1/pets/{pet}",
    "/api/v1/pets/{pet}/owners",
    "/api/v1/pets/{pet}/weights",
    "/api/v1/pets/{pet}/health-records",
    "/api/v1/pets/{pet}/vaccinations",
    "/api/v1/pets/{pet}/vaccinations/due",
    "/api/v1/pets/{pet}/prescriptions",
]
# Who gets what on every read route that takes a pet id (200 = allowed, 403, 404).
EXPECTED = {
    "owner": 200,
    "vet": 200,
    "admin": 200,
    "stranger": 404,
    "other_vet": 404,
}
CLINICAL = ("health-records", "vaccinations", "prescriptions")


@pytest.mark.parametrize("route", READ_ROUTES)
@pytest.mark.parametrize("who", [*EXPECTED, "receptionist"])
async def test_read_routes_over_http(api, world, route, who):
    url = route.format(pet=world["pet"].id)
    response = await api.client.get(url, headers=api.auth(world[who]))
    expected = EXPECTED.get(who)
    if who == "receptionist":
        # Front desk sees the pet but not its medical history.
        expected = 403 if any(part in route for part in CLINICAL) else 200
    assert response.status_code == expected, response.text
    if expected == 404:
        assert "not found" in error_of(response)["message"].lower()


async def test_health_record_edit_needs_the_current_etag(api, world):
    headers = api.auth(world["vet"])
    created = await api.client.post(
        "/api/v1/health-records",
        headers=headers,
        json={
            "pet_id": str(world["pet"].id),
            "record_type": "examination",
            "title": "Annual exam",
            "clinic_id": str(world["clinic"].id),
        },
    )
    assert created.status_code == 201, created.text
    record_url = f"/api/v1/health-records/{created.json()['id']}"
    etag = created.headers["etag"]

    missing = await api.client.patch(record_url, headers=headers, json={"notes": "x"})
    assert missing.status_code == 428
    first = await api.client.patch(
        record_url, headers={**headers, "If-Match": etag}, json={"notes": "heart ok"}
    )
    assert first.status_code == 200, first.text
    assert first.headers["etag"] != etag
    stale = await api.client.patch(
        record_url, headers={**headers, "If-Match": etag}, json={"notes": "lungs ok"}
    )
    assert stale.status_code == 412
    assert error_of(stale)["code"] == "VERSION_MISMATCH"

    signed = await api.client.post(f"{record_url}/sign", headers=headers)
    assert signed.status_code == 200, signed.text
    locked = await api.client.patch(
        record_url, headers={**headers, "If-Match": signed.headers["etag"]}, json={"notes": "late"}
    )
    assert locked.status_code == 409
    addendum = await api.client.post(
        f"{record_url}/addenda", headers=headers, json={"title": "Correction"}
    )
    assert addendum.status_code == 201, addendum.text


async def test_receptionists_cannot_write_clinical_records(api, world):
    response = await api.client.post(
        "/api/v1/health-records",
        headers=api.auth(world["receptionist"]),
        json={
            "pet_id": str(world["pet"].id),
            "record_type": "note",
            "title": "Called owner",
            "clinic_id": str(world["clinic"].id),
        },
    )
    assert response.status_code == 403


async def test_transfer_keeps_history_and_moves_access(api, world):
    new_owner = await api.user()
    pet_id = world["pet"].id
    response = await api.client.post(
        f"/api/v1/pets/{pet_id}/transfer",
        headers=api.auth(world["owner"]),
        json={"new_owner_id": str(new_owner.id), "transfer_note": "rehomed"},
    )
    assert response.status_code == 200, response.text
    assert (
        await api.client.get(f"/api/v1/pets/{pet_id}", headers=api.auth(world["owner"]))
    ).status_code == 404
    assert (
        await api.client.get(f"/api/v1/pets/{pet_id}", headers=api.auth(new_owner))
    ).status_code == 200
    history = await api.client.get(
        f"/api/v1/pets/{pet_id}/owners?history=true", headers=api.auth(new_owner)
    )
    assert {row["end_reason"] for row in history.json()} == {None, "transferred"}
