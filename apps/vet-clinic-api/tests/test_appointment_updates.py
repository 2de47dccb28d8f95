"""Editing an appointment in place (``PATCH``) and listing appointments, with who may do what."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from vet_core.models.clinics import Clinic
from vet_core.models.enums import AppointmentStatus
from vet_core.models.identity import User

from conftest import Api, error_of

APPOINTMENTS = "/api/v1/appointments"


@dataclass
class Visit:
    clinic: Clinic
    vet: Any
    owner: User
    receptionist: User
    pet: Any
    appointment: Any


async def visit(api: Api, **fields: Any) -> Visit:
    clinic = await api.clinic()
    _, vet = await api.veterinarian(clinic)
    owner = await api.user()
    pet = await api.pet(owner)
    return Visit(
        clinic=clinic,
        vet=vet,
        owner=owner,
        receptionist=await api.staff(clinic, "receptionist"),
        pet=pet,
        appointment=await api.appointment(pet, vet, clinic, owner, **fields),
    )


async def patch(api: Api, who: User | None, appointment_id: Any, body: Any) -> Any:
    headers = api.auth(who) if who is not None else {}
    return await api.client.patch(f"{APPOINTMENTS}/{appointment_id}", json=body, headers=headers)


async def test_the_owner_changes_the_reason_and_notes(api: Api) -> None:
    v = await visit(api)
    changed = await patch(api, v.owner, v.appointment.id, {"reason": "limping", "notes": "shy"})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["reason"], body["notes"]) == ("limping", "shy")
    assert body["version"] == 2
    assert "internal_notes" not in body  # the owner's view
    cleared = await patch(api, v.owner, v.appointment.id, {"notes": None})
    assert cleared.json()["notes"] is None

    for staff_field in ({"internal_notes": "bites"}, {"price": "40.00"}, {"priority": "urgent"}):
        refused = await patch(api, v.owner, v.appointment.id, staff_field)
        assert refused.status_code == 403, staff_field
        assert error_of(refused)["details"]["fields"] == list(staff_field)


async def test_staff_change_their_fields_and_see_the_staff_view(api: Api) -> None:
    v = await visit(api)
    changed = await patch(
        api,
        v.receptionist,
        v.appointment.id,
        {"internal_notes": "muzzle", "priority": "urgent", "price": "45.50", "currency": "EUR"},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["internal_notes"] == "muzzle"
    assert body["priority"] == "urgent"
    assert (body["price"], body["currency"]) == ("45.50", "EUR")
    assert body["updated_by"] == str(v.receptionist.id)
    owner_view = await api.client.get(
        f"{APPOINTMENTS}/{v.appointment.id}", headers=api.auth(v.owner)
    )
    assert owner_view.json()["priority"] == "urgent"
    assert "internal_notes" not in owner_view.json()


async def test_someone_elses_appointment_is_404(api: Api) -> None:
    v = await visit(api)
    other_clinic_staff = await api.staff(await api.clinic(), "receptionist")
    for who in (await api.user(), other_clinic_staff):
        hidden = await patch(api, who, v.appointment.id, {"notes": "x"})
        assert hidden.status_code == 404
        assert error_of(hidden)["code"] == "APPOINTMENT_NOT_FOUND"
        read = await api.client.get(f"{APPOINTMENTS}/{v.appointment.id}", headers=api.auth(who))
        assert read.status_code == 404
    missing = await patch(api, v.owner, uuid.uuid4(), {"notes": "x"})
    assert missing.status_code == 404
    assert (await patch(api, None, v.appointment.id, {"notes": "x"})).status_code == 401


async def test_invalid_updates_name_the_field(api: Api) -> None:
    v = await visit(api)
    for body, field in (
        ({"starts_at": "2030-01-01T10:00:00Z"}, "body.starts_at"),
        ({"pet_id": str(uuid.uuid4())}, "body.pet_id"),
        ({"notes": "x" * 10_001}, "body.notes"),
        ({"price": 12.5}, "body.price"),
        ({"currency": "usd"}, "body.currency"),
    ):
        invalid = await patch(api, v.receptionist, v.appointment.id, body)
        assert invalid.status_code == 422, body
        assert error_of(invalid)["details"]["fields"][0]["field"] == field
    empty = await patch(api, v.owner, v.appointment.id, {})
    assert empty.status_code == 422
    not_null = await patch(api, v.receptionist, v.appointment.id, {"priority": None})
    assert not_null.status_code == 422
    assert "priority cannot be null" in error_of(not_null)["message"]


async def test_a_finished_appointment_is_for_staff_to_correct(api: Api) -> None:
    starts = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    v = await visit(
        api,
        status=AppointmentStatus.COMPLETED,
        starts_at=starts,
        started_at=starts,
        completed_at=starts + timedelta(minutes=30),
    )
    late = await patch(api, v.owner, v.appointment.id, {"notes": "thanks!"})
    assert late.status_code == 409
    assert error_of(late)["code"] == "APPOINTMENT_NOT_EDITABLE"
    corrected = await patch(api, v.receptionist, v.appointment.id, {"notes": "seen by Dr. Ray"})
    assert corrected.status_code == 200
    assert corrected.json()["notes"] == "seen by Dr. Ray"


async def test_listing_is_scoped_and_paged(api: Api) -> None:
    v = await visit(api)
    later = [
        await api.appointment(
            v.pet, v.vet, v.clinic, v.owner, starts_at=v.appointment.starts_at + timedelta(hours=h)
        )
        for h in (1, 2)
    ]
    elsewhere = await visit(api)
    everyone = [v.appointment, *later]

    first = await api.client.get(APPOINTMENTS, params={"limit": 2}, headers=api.auth(v.owner))
    assert first.status_code == 200, first.text
    assert len(first.json()["items"]) == 2
    rest = await api.client.get(
        APPOINTMENTS,
        params={"limit": 2, "cursor": first.json()["next_cursor"]},
        headers=api.auth(v.owner),
    )
    assert rest.json()["next_cursor"] is None
    seen = [a["id"] for a in first.json()["items"] + rest.json()["items"]]
    assert sorted(seen) == sorted(str(a.id) for a in everyone)

    staff = await api.client.get(
        APPOINTMENTS, params={"clinic_id": str(v.clinic.id)}, headers=api.auth(v.receptionist)
    )
    assert {a["id"] for a in staff.json()["items"]} == {str(a.id) for a in everyone}
    assert all("internal_notes" in a for a in staff.json()["items"])
    stranger = await api.client.get(APPOINTMENTS, headers=api.auth(await api.user()))
    assert stranger.json()["items"] == []
    not_theirs = await api.client.get(
        APPOINTMENTS,
        params={"clinic_id": str(elsewhere.clinic.id)},
        headers=api.auth(v.receptionist),
    )
    assert not_theirs.json()["items"] == []

    window = {
        "starts_from": (v.appointment.starts_at + timedelta(minutes=30)).isoformat(),
        "starts_before": (v.appointment.starts_at + timedelta(hours=3)).isoformat(),
    }
    windowed = await api.client.get(APPOINTMENTS, params=window, headers=api.auth(v.owner))
    assert {a["id"] for a in windowed.json()["items"]} == {str(a.id) for a in later}
    backwards = await api.client.get(
        APPOINTMENTS,
        params={"starts_from": window["starts_before"], "starts_before": window["starts_from"]},
        headers=api.auth(v.owner),
    )
    assert backwards.status_code == 422
    assert error_of(backwards)["details"]["field"] == "starts_before"
    bad_status = await api.client.get(
        APPOINTMENTS, params={"status": "lost"}, headers=api.auth(v.owner)
    )
    assert bad_status.status_code == 422
    assert error_of(bad_status)["details"]["fields"][0]["field"] == "query.status.0"
