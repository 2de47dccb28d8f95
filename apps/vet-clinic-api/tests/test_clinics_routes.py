"""Clinic administration over HTTP against the real database: clinics, hours, closures,
settings, staff, veterinarians, their weekly rules and time off — and who may do what.

A caller unrelated to a clinic gets 404 on its admin routes (ids leak nothing); staff of the
clinic whose role may not act get 403.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from vet_clinic_api.main import API_PREFIX
from vet_clinic_api.routers import clinics, veterinarians
from vet_core.models.audit import AuditLog
from vet_core.models.clinics import Clinic
from vet_core.utils import time as clock

from conftest import Api, error_of

V1 = "/api/v1"


@pytest_asyncio.fixture(loop_scope="session")
async def api(app_factory, db_engine) -> AsyncIterator[Api]:
    """conftest's ``api``, on an app that also mounts the clinic and veterinarian routers."""
    app = await app_factory()
    for module in (clinics, veterinarians):
        app.include_router(module.router, prefix=API_PREFIX)
    async with db_engine.connect() as connection:
        outer = await connection.begin()
        factory = async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        app.state.resources.sessions = factory
        app.state.resources.read_sessions = factory
        session = factory()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Api(client=client, session=session, app=app)
        await session.close()
        await outer.rollback()


def clinic_body(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Lakeside Vets",
        "slug": f"lakeside-{uuid.uuid4().hex[:8]}",
        "address_line1": "3 Lake Road",
        "city": "Madison",
        "country_code": "US",
        "timezone": "America/Chicago",
        "latitude": 43.07,
        "longitude": -89.4,
        **fields,
    }


async def audit_entries(api: Api, entity_type: str, entity_id: uuid.UUID) -> list[AuditLog]:
    rows = await api.session.execute(
        select(AuditLog).where(AuditLog.entity_type == entity_type, AuditLog.entity_id == entity_id)
    )
    return list(rows.scalars().all())


# --- clinics ----------------------------------------------------------------------------------


async def test_platform_admin_creates_a_clinic_and_slugs_are_unique(api: Api) -> None:
    admin = await api.user("platform_admin")
    body = clinic_body()
    created = await api.client.post(f"{V1}/clinics", json=body, headers=api.auth(admin))
    assert created.status_code == 201, created.text
    assert created.json()["slug"] == body["slug"]
    assert created.json()["timezone"] == "America/Chicago"

    again = await api.client.post(f"{V1}/clinics", json=body, headers=api.auth(admin))
    assert again.status_code == 409
    assert error_of(again)["code"] == "SLUG_TAKEN"


async def test_only_platform_admins_create_clinics(api: Api) -> None:
    clinic = await api.clinic()
    for person in (await api.user("pet_owner"), await api.staff(clinic, "clinic_admin")):
        refused = await api.client.post(
            f"{V1}/clinics", json=clinic_body(), headers=api.auth(person)
        )
        assert refused.status_code == 403
    anonymous = await api.client.post(f"{V1}/clinics", json=clinic_body())
    assert anonymous.status_code == 401
    assert "www-authenticate" in anonymous.headers


async def test_creating_a_clinic_names_the_invalid_field(api: Api) -> None:
    admin = await api.user("platform_admin")
    bad_slug = await api.client.post(
        f"{V1}/clinics", json=clinic_body(slug="Not A Slug"), headers=api.auth(admin)
    )
    assert bad_slug.status_code == 422
    assert "slug" in error_of(bad_slug)["message"]
    no_name = {k: v for k, v in clinic_body().items() if k != "name"}
    missing = await api.client.post(f"{V1}/clinics", json=no_name, headers=api.auth(admin))
    assert missing.status_code == 422
    assert "name" in error_of(missing)["message"]


async def test_anyone_signed_in_reads_a_clinic_and_unknown_ids_are_404(api: Api) -> None:
    clinic = await api.clinic()
    owner = await api.user()
    seen = await api.client.get(f"{V1}/clinics/{clinic.id}", headers=api.auth(owner))
    assert seen.status_code == 200
    assert seen.json()["id"] == str(clinic.id)
    missing = await api.client.get(f"{V1}/clinics/{uuid.uuid4()}", headers=api.auth(owner))
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "CLINIC_NOT_FOUND"
    assert (await api.client.get(f"{V1}/clinics/{clinic.id}")).status_code == 401


async def test_clinic_admins_change_their_clinic_and_nobody_else_does(api: Api) -> None:
    clinic, other = await api.clinic(), await api.clinic()
    admin = await api.staff(clinic, "clinic_admin")
    changed = await api.client.patch(
        f"{V1}/clinics/{clinic.id}",
        json={"name": "Renamed Vets", "accepts_emergencies": True},
        headers=api.auth(admin),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Renamed Vets"
    assert changed.json()["accepts_emergencies"] is True

    receptionist = await api.staff(clinic, "receptionist")
    forbidden = await api.client.patch(
        f"{V1}/clinics/{clinic.id}", json={"name": "X Vets"}, headers=api.auth(receptionist)
    )
    assert forbidden.status_code == 403
    for stranger in (await api.staff(other, "clinic_admin"), await api.user()):
        hidden = await api.client.patch(
            f"{V1}/clinics/{clinic.id}", json={"name": "X Vets"}, headers=api.auth(stranger)
        )
        assert hidden.status_code == 404
        assert error_of(hidden)["code"] == "CLINIC_NOT_FOUND"

    empty = await api.client.patch(f"{V1}/clinics/{clinic.id}", json={}, headers=api.auth(admin))
    assert empty.status_code == 422
    half_move = await api.client.patch(
        f"{V1}/clinics/{clinic.id}", json={"latitude": 10}, headers=api.auth(admin)
    )
    assert half_move.status_code == 422
    taken = await api.client.patch(
        f"{V1}/clinics/{clinic.id}", json={"slug": other.slug}, headers=api.auth(admin)
    )
    assert taken.status_code == 409
    assert error_of(taken)["code"] == "SLUG_TAKEN"


async def test_platform_admins_retire_a_clinic_audited(api: Api) -> None:
    clinic = await api.clinic()
    clinic_admin = await api.staff(clinic, "clinic_admin")
    refused = await api.client.delete(f"{V1}/clinics/{clinic.id}", headers=api.auth(clinic_admin))
    assert refused.status_code == 403

    admin = await api.user("platform_admin")
    deleted = await api.client.delete(f"{V1}/clinics/{clinic.id}", headers=api.auth(admin))
    assert deleted.status_code == 204
    gone = await api.client.get(f"{V1}/clinics/{clinic.id}", headers=api.auth(admin))
    assert gone.status_code == 404
    [entry] = await audit_entries(api, "clinic", clinic.id)
    assert entry.actor_id == admin.id
    assert "deleted_at" in entry.changes
    again = await api.client.delete(f"{V1}/clinics/{clinic.id}", headers=api.auth(admin))
    assert again.status_code == 404
    # The slug of a retired clinic is free again.
    reused = await api.client.post(
        f"{V1}/clinics", json=clinic_body(slug=clinic.slug), headers=api.auth(admin)
    )
    assert reused.status_code == 201, reused.text


# --- hours, closures, settings ----------------------------------------------------------------


async def test_the_week_is_replaced_at_once_and_overlaps_are_refused(api: Api) -> None:
    clinic = await api.clinic()
    admin = await api.staff(clinic, "clinic_admin")
    week = {
        "hours": [
            {"weekday": 2, "opens_at": "14:00", "closes_at": "18:00"},
            {
                "weekday": 1,
                "opens_at": "08:00",
                "closes_at": "12:00",
                "breaks": [{"start": "10:00", "end": "10:15"}],
            },
            {"weekday": 1, "opens_at": "13:00", "closes_at": "17:00"},
        ]
    }
    saved = await api.client.put(
        f"{V1}/clinics/{clinic.id}/hours", json=week, headers=api.auth(admin)
    )
    assert saved.status_code == 200, saved.text
    assert [(h["weekday"], h["opens_at"]) for h in saved.json()] == [
        (1, "08:00:00"),
        (1, "13:00:00"),
        (2, "14:00:00"),
    ]
    owner = await api.user()
    listed = await api.client.get(f"{V1}/clinics/{clinic.id}/hours", headers=api.auth(owner))
    assert listed.json() == saved.json()
    assert listed.json()[0]["breaks"] == [{"start": "10:00:00", "end": "10:15:00"}]

    overlapping = {
        "hours": [
            {"weekday": 3, "opens_at": "08:00", "closes_at": "12:00"},
            {"weekday": 3, "opens_at": "11:00", "closes_at": "15:00"},
        ]
    }
    refused = await api.client.put(
        f"{V1}/clinics/{clinic.id}/hours", json=overlapping, headers=api.auth(admin)
    )
    assert refused.status_code == 422
    assert error_of(refused)["code"] == "HOURS_OVERLAP"
    unchanged = await api.client.get(f"{V1}/clinics/{clinic.id}/hours", headers=api.auth(owner))
    assert len(unchanged.json()) == 3

    break_outside = {
        "hours": [
            {
                "weekday": 1,
                "opens_at": "18:00",
                "closes_at": "08:00",
                "breaks": [{"start": "09:00", "end": "10:00"}],
            }
        ]
    }
    invalid = await api.client.put(
        f"{V1}/clinics/{clinic.id}/hours", json=break_outside, headers=api.auth(admin)
    )
    assert invalid.status_code == 422
    assert "hours" in error_of(invalid)["message"]
    other_admin = await api.staff(await api.clinic(), "clinic_admin")
    hidden = await api.client.put(
        f"{V1}/clinics/{clinic.id}/hours", json=week, headers=api.auth(other_admin)
    )
    assert hidden.status_code == 404


async def test_an_overnight_clinic_is_saved_and_found_open_at_night(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Somewhere no other test puts a clinic, so the search sees this one alone.
    clinic = await api.clinic(latitude=44.97, longitude=-93.26, timezone="America/Chicago")
    admin = await api.staff(clinic, "clinic_admin")
    night = {
        "weekday": 1,
        "opens_at": "18:00",
        "closes_at": "08:00",
        "breaks": [{"start": "02:00", "end": "02:30"}],
    }
    saved = await api.client.put(
        f"{V1}/clinics/{clinic.id}/hours", json={"hours": [night]}, headers=api.auth(admin)
    )
    assert saved.status_code == 200, saved.text
    expected = [
        {
            "weekday": 1,
            "opens_at": "18:00:00",
            "closes_at": "08:00:00",
            "breaks": [{"start": "02:00:00", "end": "02:30:00"}],
        }
    ]
    assert [
        {key: row[key] for key in ("weekday", "opens_at", "closes_at", "breaks")}
        for row in saved.json()
    ] == expected
    listed = await api.client.get(f"{V1}/clinics/{clinic.id}/hours", headers=api.auth(admin))
    assert listed.json() == saved.json()

    # Tuesday morning may not start before Monday's night is over.
    clash = {"hours": [night, {"weekday": 2, "opens_at": "07:00", "closes_at": "12:00"}]}
    refused = await api.client.put(
        f"{V1}/clinics/{clinic.id}/hours", json=clash, headers=api.auth(admin)
    )
    assert refused.status_code == 422
    assert error_of(refused)["code"] == "HOURS_OVERLAP"
    assert "hours" in error_of(refused)["message"]
    assert "Monday 18:00-08:00 and Tuesday 07:00-12:00" in error_of(refused)["message"]

    # The public search decides "open now" at the server's clock: move it to a Monday night.
    chicago = ZoneInfo("America/Chicago")
    monday = date(2031, 3, 3)
    for day, hour, minute, is_open in [
        (monday, 17, 0, False),
        (monday, 23, 0, True),
        (monday + timedelta(days=1), 2, 15, False),  # the break
        (monday + timedelta(days=1), 3, 0, True),
        (monday + timedelta(days=1), 8, 0, False),
    ]:
        at = datetime.combine(day, time(hour, minute), tzinfo=chicago)
        monkeypatch.setattr(clock, "_clock_offset", at - datetime.now(UTC))
        found = await api.client.get(
            f"{V1}/clinics/search",
            params={"lat": 44.97, "lng": -93.26, "radius_km": 1, "open_now": "true"},
        )
        assert found.status_code == 200, found.text
        ids = [item["id"] for item in found.json()["items"]]
        assert ids == ([str(clinic.id)] if is_open else []), at


async def test_schedule_managers_add_and_remove_closures(api: Api) -> None:
    clinic = await api.clinic()
    vet_user, _ = await api.veterinarian(clinic)
    closure = {"starts_on": "2031-12-24", "ends_on": "2031-12-26", "reason": "Holidays"}
    added = await api.client.post(
        f"{V1}/clinics/{clinic.id}/closures", json=closure, headers=api.auth(vet_user)
    )
    assert added.status_code == 201, added.text
    closure_id = added.json()["id"]
    owner = await api.user()
    listed = await api.client.get(f"{V1}/clinics/{clinic.id}/closures", headers=api.auth(owner))
    assert [c["id"] for c in listed.json()] == [closure_id]

    receptionist = await api.staff(clinic, "receptionist")
    forbidden = await api.client.post(
        f"{V1}/clinics/{clinic.id}/closures", json=closure, headers=api.auth(receptionist)
    )
    assert forbidden.status_code == 403
    special = {"starts_on": "2031-12-31", "ends_on": "2031-12-31", "is_closed_all_day": False}
    invalid = await api.client.post(
        f"{V1}/clinics/{clinic.id}/closures", json=special, headers=api.auth(vet_user)
    )
    assert invalid.status_code == 422

    admin = await api.staff(clinic, "clinic_admin")
    removed = await api.client.delete(
        f"{V1}/clinics/{clinic.id}/closures/{closure_id}", headers=api.auth(admin)
    )
    assert removed.status_code == 204
    again = await api.client.delete(
        f"{V1}/clinics/{clinic.id}/closures/{closure_id}", headers=api.auth(admin)
    )
    assert again.status_code == 404
    assert error_of(again)["code"] == "CLOSURE_NOT_FOUND"


async def test_settings_parts_are_validated_before_they_are_stored(api: Api) -> None:
    clinic = await api.clinic()
    admin = await api.staff(clinic, "clinic_admin")
    saved = await api.client.put(
        f"{V1}/clinics/{clinic.id}/settings/scheduling",
        json={"slot_interval_minutes": 20, "cancellation_window_hours": 12},
        headers=api.auth(admin),
    )
    assert saved.status_code == 200, saved.text
    assert saved.json() == {
        "part": "scheduling",
        "values": {"slot_interval_minutes": 20, "cancellation_window_hours": 12},
    }
    stored = await api.session.get(Clinic, clinic.id, populate_existing=True)
    assert stored is not None
    assert stored.settings["scheduling"]["slot_interval_minutes"] == 20

    typo = await api.client.put(
        f"{V1}/clinics/{clinic.id}/settings/scheduling",
        json={"slot_intervall_minutes": 20},
        headers=api.auth(admin),
    )
    assert typo.status_code == 422
    reminders = await api.client.put(
        f"{V1}/clinics/{clinic.id}/settings/reminders",
        json={"vaccination_lead_days": [7, 1]},
        headers=api.auth(admin),
    )
    assert reminders.status_code == 200, reminders.text
    unknown_part = await api.client.put(
        f"{V1}/clinics/{clinic.id}/settings/billing", json={}, headers=api.auth(admin)
    )
    assert unknown_part.status_code == 422
    vet_user, _ = await api.veterinarian(clinic)
    forbidden = await api.client.put(
        f"{V1}/clinics/{clinic.id}/settings/scheduling", json={}, headers=api.auth(vet_user)
    )
    assert forbidden.status_code == 403


# --- members ----------------------------------------------------------------------------------


async def test_staff_list_members_and_outsiders_see_nothing(api: Api) -> None:
    clinic = await api.clinic()
    admin = await api.staff(clinic, "clinic_admin")
    receptionist = await api.staff(clinic, "receptionist")
    listed = await api.client.get(
        f"{V1}/clinics/{clinic.id}/members", params={"limit": 1}, headers=api.auth(receptionist)
    )
    assert listed.status_code == 200, listed.text
    first = listed.json()
    assert [m["user_id"] for m in first["items"]] == [str(admin.id)]
    second = await api.client.get(
        f"{V1}/clinics/{clinic.id}/members",
        params={"limit": 1, "cursor": first["next_cursor"]},
        headers=api.auth(receptionist),
    )
    assert [m["user_id"] for m in second.json()["items"]] == [str(receptionist.id)]
    assert second.json()["next_cursor"] is None

    for outsider in (await api.user(), await api.staff(await api.clinic(), "clinic_admin")):
        hidden = await api.client.get(
            f"{V1}/clinics/{clinic.id}/members", headers=api.auth(outsider)
        )
        assert hidden.status_code == 404


async def test_clinic_admins_add_change_and_end_memberships_audited(api: Api) -> None:
    clinic = await api.clinic()
    admin = await api.staff(clinic, "clinic_admin")
    newcomer = await api.user("vet_tech")
    added = await api.client.post(
        f"{V1}/clinics/{clinic.id}/members",
        json={"email": newcomer.email.upper(), "role": "vet_tech"},
        headers=api.auth(admin),
    )
    assert added.status_code == 201, added.text
    membership_id = added.json()["id"]
    assert added.json()["user_id"] == str(newcomer.id)

    twice = await api.client.post(
        f"{V1}/clinics/{clinic.id}/members",
        json={"email": newcomer.email, "role": "vet_tech"},
        headers=api.auth(admin),
    )
    assert twice.status_code == 409
    assert error_of(twice)["code"] == "ALREADY_MEMBER"
    nobody = await api.client.post(
        f"{V1}/clinics/{clinic.id}/members",
        json={"email": "nobody@example.com", "role": "vet_tech"},
        headers=api.auth(admin),
    )
    assert nobody.status_code == 404
    bad_role = await api.client.post(
        f"{V1}/clinics/{clinic.id}/members",
        json={"email": newcomer.email, "role": "boss"},
        headers=api.auth(admin),
    )
    assert bad_role.status_code == 422
    assert "role" in error_of(bad_role)["message"]

    promoted = await api.client.patch(
        f"{V1}/clinics/{clinic.id}/members/{membership_id}",
        json={"role": "receptionist"},
        headers=api.auth(admin),
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["role"] == "receptionist"

    ended = await api.client.delete(
        f"{V1}/clinics/{clinic.id}/members/{membership_id}", headers=api.auth(admin)
    )
    assert ended.status_code == 200
    assert ended.json()["status"] == "ended"
    assert ended.json()["ended_at"] is not None

    entries = await audit_entries(api, "clinic_membership", uuid.UUID(membership_id))
    assert sorted(e.action.value for e in entries) == ["create", "update", "update"]
    assert all(e.actor_id == admin.id for e in entries)


async def test_only_staff_managers_change_staff(api: Api) -> None:
    clinic = await api.clinic()
    await api.staff(clinic, "clinic_admin")
    vet_user, _ = await api.veterinarian(clinic)
    newcomer = await api.user()
    refused = await api.client.post(
        f"{V1}/clinics/{clinic.id}/members",
        json={"email": newcomer.email, "role": "receptionist"},
        headers=api.auth(vet_user),
    )
    assert refused.status_code == 403
    other_admin = await api.staff(await api.clinic(), "clinic_admin")
    hidden = await api.client.post(
        f"{V1}/clinics/{clinic.id}/members",
        json={"email": newcomer.email, "role": "receptionist"},
        headers=api.auth(other_admin),
    )
    assert hidden.status_code == 404


async def test_the_last_clinic_admin_cannot_leave_or_step_down(api: Api) -> None:
    clinic = await api.clinic()
    admin = await api.staff(clinic, "clinic_admin")
    listed = await api.client.get(f"{V1}/clinics/{clinic.id}/members", headers=api.auth(admin))
    [mine] = listed.json()["items"]
    leave = await api.client.delete(
        f"{V1}/clinics/{clinic.id}/members/{mine['id']}", headers=api.auth(admin)
    )
    assert leave.status_code == 409
    assert error_of(leave)["code"] == "LAST_CLINIC_ADMIN"
    step_down = await api.client.patch(
        f"{V1}/clinics/{clinic.id}/members/{mine['id']}",
        json={"role": "receptionist"},
        headers=api.auth(admin),
    )
    assert step_down.status_code == 409

    platform = await api.user("platform_admin")
    second = await api.user()
    await api.client.post(
        f"{V1}/clinics/{clinic.id}/members",
        json={"email": second.email, "role": "clinic_admin"},
        headers=api.auth(platform),
    )
    now_allowed = await api.client.delete(
        f"{V1}/clinics/{clinic.id}/members/{mine['id']}", headers=api.auth(admin)
    )
    assert now_allowed.status_code == 200, now_allowed.text


# --- veterinarians ----------------------------------------------------------------------------


def vet_body(user_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    return {
        "user_id": str(user_id),
        "license_number": f"WI-{uuid.uuid4().hex[:8]}",
        "license_state": "WI",
        "species_expertise": ["dog", "cat"],
        **fields,
    }


async def test_clinic_admins_create_profiles_for_their_veterinarians(api: Api) -> None:
    clinic = await api.clinic()
    admin = await api.staff(clinic, "clinic_admin")
    vet_user = await api.staff(clinic, "veterinarian")
    body = vet_body(vet_user.id)
    created = await api.client.post(f"{V1}/veterinarians", json=body, headers=api.auth(admin))
    assert created.status_code == 201, created.text
    assert created.json()["species_expertise"] == ["dog", "cat"]

    twice = await api.client.post(f"{V1}/veterinarians", json=body, headers=api.auth(admin))
    assert twice.status_code == 409
    assert error_of(twice)["code"] == "LICENSE_NUMBER_TAKEN"
    again = await api.client.post(
        f"{V1}/veterinarians", json=vet_body(vet_user.id), headers=api.auth(admin)
    )
    assert again.status_code == 409
    assert error_of(again)["code"] == "VETERINARIAN_EXISTS"

    colleague = await api.staff(clinic, "veterinarian")
    receptionist = await api.staff(clinic, "receptionist")
    forbidden = await api.client.post(
        f"{V1}/veterinarians", json=vet_body(colleague.id), headers=api.auth(receptionist)
    )
    assert forbidden.status_code == 403
    other_admin = await api.staff(await api.clinic(), "clinic_admin")
    hidden = await api.client.post(
        f"{V1}/veterinarians", json=vet_body(colleague.id), headers=api.auth(other_admin)
    )
    assert hidden.status_code == 404
    not_a_vet = await api.client.post(
        f"{V1}/veterinarians", json=vet_body(receptionist.id), headers=api.auth(admin)
    )
    assert not_a_vet.status_code == 404
    invalid = await api.client.post(
        f"{V1}/veterinarians",
        json=vet_body(colleague.id, default_appointment_minutes=1),
        headers=api.auth(admin),
    )
    assert invalid.status_code == 422
    assert "default_appointment_minutes" in error_of(invalid)["message"]


async def test_profiles_are_public_and_listed_by_clinic(api: Api) -> None:
    clinic, other = await api.clinic(), await api.clinic()
    _, here = await api.veterinarian(clinic)
    _, there = await api.veterinarian(other)
    owner = await api.user()
    at_clinic = await api.client.get(
        f"{V1}/clinics/{clinic.id}/veterinarians", headers=api.auth(owner)
    )
    assert at_clinic.status_code == 200
    assert [v["id"] for v in at_clinic.json()["items"]] == [str(here.id)]
    filtered = await api.client.get(
        f"{V1}/veterinarians", params={"clinic_id": str(other.id)}, headers=api.auth(owner)
    )
    assert [v["id"] for v in filtered.json()["items"]] == [str(there.id)]
    one = await api.client.get(f"{V1}/veterinarians/{here.id}", headers=api.auth(owner))
    assert one.status_code == 200
    assert one.json()["license_number"] == here.license_number
    missing = await api.client.get(f"{V1}/veterinarians/{uuid.uuid4()}", headers=api.auth(owner))
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "VETERINARIAN_NOT_FOUND"
    bad_limit = await api.client.get(
        f"{V1}/veterinarians", params={"limit": 0}, headers=api.auth(owner)
    )
    assert bad_limit.status_code == 422
    assert "limit" in error_of(bad_limit)["message"]


async def test_a_vet_edits_their_own_profile_and_their_admin_may_too(api: Api) -> None:
    clinic = await api.clinic()
    vet_user, vet = await api.veterinarian(clinic)
    own = await api.client.patch(
        f"{V1}/veterinarians/{vet.id}", json={"bio": "Loves cats"}, headers=api.auth(vet_user)
    )
    assert own.status_code == 200, own.text
    assert own.json()["bio"] == "Loves cats"
    admin = await api.staff(clinic, "clinic_admin")
    by_admin = await api.client.patch(
        f"{V1}/veterinarians/{vet.id}",
        json={"accepts_new_patients": False},
        headers=api.auth(admin),
    )
    assert by_admin.status_code == 200
    colleague, _ = await api.veterinarian(clinic)
    forbidden = await api.client.patch(
        f"{V1}/veterinarians/{vet.id}", json={"bio": "x"}, headers=api.auth(colleague)
    )
    assert forbidden.status_code == 403
    hidden = await api.client.patch(
        f"{V1}/veterinarians/{vet.id}", json={"bio": "x"}, headers=api.auth(await api.user())
    )
    assert hidden.status_code == 404


async def test_weekly_rules_are_managed_by_the_vet_and_their_admins(api: Api) -> None:
    clinic = await api.clinic()
    vet_user, vet = await api.veterinarian(clinic)
    rule = {
        "clinic_id": str(clinic.id),
        "weekday": 1,
        "starts_at_local": "09:00",
        "ends_at_local": "13:00",
        "effective_from": "2031-01-01",
    }
    added = await api.client.post(
        f"{V1}/veterinarians/{vet.id}/availability-rules", json=rule, headers=api.auth(vet_user)
    )
    assert added.status_code == 201, added.text
    overlap = await api.client.post(
        f"{V1}/veterinarians/{vet.id}/availability-rules",
        json={**rule, "starts_at_local": "12:00", "ends_at_local": "15:00"},
        headers=api.auth(vet_user),
    )
    assert overlap.status_code == 409
    assert error_of(overlap)["code"] == "AVAILABILITY_OVERLAP"

    admin = await api.staff(clinic, "clinic_admin")
    afternoon = await api.client.post(
        f"{V1}/veterinarians/{vet.id}/availability-rules",
        json={**rule, "starts_at_local": "14:00", "ends_at_local": "18:00"},
        headers=api.auth(admin),
    )
    assert afternoon.status_code == 201, afternoon.text
    colleague, _ = await api.veterinarian(clinic)
    not_theirs = await api.client.post(
        f"{V1}/veterinarians/{vet.id}/availability-rules",
        json={**rule, "weekday": 2},
        headers=api.auth(colleague),
    )
    assert not_theirs.status_code == 403
    elsewhere = await api.client.post(
        f"{V1}/veterinarians/{vet.id}/availability-rules",
        json={**rule, "clinic_id": str((await api.clinic()).id)},
        headers=api.auth(vet_user),
    )
    assert elsewhere.status_code == 422
    assert error_of(elsewhere)["code"] == "VETERINARIAN_NOT_AT_CLINIC"
    # A night shift ends the next morning, and overlaps what starts then.
    night = await api.client.post(
        f"{V1}/veterinarians/{vet.id}/availability-rules",
        json={**rule, "starts_at_local": "22:00", "ends_at_local": "06:00"},
        headers=api.auth(vet_user),
    )
    assert night.status_code == 201, night.text
    assert night.json()["ends_at_local"] == "06:00:00"
    morning_after = await api.client.post(
        f"{V1}/veterinarians/{vet.id}/availability-rules",
        json={**rule, "weekday": 2, "starts_at_local": "05:00", "ends_at_local": "09:00"},
        headers=api.auth(vet_user),
    )
    assert morning_after.status_code == 409
    assert error_of(morning_after)["details"]["rule_id"] == night.json()["id"]

    owner = await api.user()
    listed = await api.client.get(
        f"{V1}/veterinarians/{vet.id}/availability-rules", headers=api.auth(owner)
    )
    assert [r["starts_at_local"] for r in listed.json()] == ["09:00:00", "14:00:00", "22:00:00"]
    hidden = await api.client.delete(
        f"{V1}/veterinarians/{vet.id}/availability-rules/{added.json()['id']}",
        headers=api.auth(owner),
    )
    assert hidden.status_code == 404
    removed = await api.client.delete(
        f"{V1}/veterinarians/{vet.id}/availability-rules/{added.json()['id']}",
        headers=api.auth(vet_user),
    )
    assert removed.status_code == 204


async def test_time_off_is_seen_by_the_clinic_and_managed_by_the_vet(api: Api) -> None:
    clinic = await api.clinic()
    vet_user, vet = await api.veterinarian(clinic)
    body = {
        "starts_at": "2031-07-01T00:00:00Z",
        "ends_at": "2031-07-15T00:00:00Z",
        "reason": "Holiday",
    }
    added = await api.client.post(
        f"{V1}/veterinarians/{vet.id}/time-off", json=body, headers=api.auth(vet_user)
    )
    assert added.status_code == 201, added.text
    receptionist = await api.staff(clinic, "receptionist")
    listed = await api.client.get(
        f"{V1}/veterinarians/{vet.id}/time-off", headers=api.auth(receptionist)
    )
    assert [t["id"] for t in listed.json()] == [added.json()["id"]]
    forbidden = await api.client.post(
        f"{V1}/veterinarians/{vet.id}/time-off", json=body, headers=api.auth(receptionist)
    )
    assert forbidden.status_code == 403
    owner = await api.user()
    hidden = await api.client.get(f"{V1}/veterinarians/{vet.id}/time-off", headers=api.auth(owner))
    assert hidden.status_code == 404
    naive = await api.client.post(
        f"{V1}/veterinarians/{vet.id}/time-off",
        json={**body, "starts_at": "2031-07-01T00:00:00"},
        headers=api.auth(vet_user),
    )
    assert naive.status_code == 422
    assert "starts_at" in error_of(naive)["message"]
    removed = await api.client.delete(
        f"{V1}/veterinarians/{vet.id}/time-off/{added.json()['id']}", headers=api.auth(vet_user)
    )
    assert removed.status_code == 204


async def test_local_times_with_a_utc_offset_are_refused(api: Api) -> None:
    clinic = await api.clinic()
    admin = await api.staff(clinic, "clinic_admin")
    week = {"hours": [{"weekday": 1, "opens_at": "08:00:00+02:00", "closes_at": "12:00:00+02:00"}]}
    hours = await api.client.put(
        f"{V1}/clinics/{clinic.id}/hours", json=week, headers=api.auth(admin)
    )
    assert hours.status_code == 422
    assert error_of(hours)["code"] == "LOCAL_TIME_WITH_OFFSET"
    vet_user, vet = await api.veterinarian(clinic)
    rule = {
        "clinic_id": str(clinic.id),
        "weekday": 1,
        "starts_at_local": "09:00Z",
        "ends_at_local": "13:00Z",
    }
    rules = await api.client.post(
        f"{V1}/veterinarians/{vet.id}/availability-rules", json=rule, headers=api.auth(vet_user)
    )
    assert rules.status_code == 422
    assert error_of(rules)["details"]["field"] == "starts_at_local"
