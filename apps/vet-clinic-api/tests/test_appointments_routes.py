"""Scheduling over HTTP: slots, booking (idempotent, conflicts), the lifecycle, holds, the
waitlist and calendars, against the real database and Redis, with who may see and do what."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from vet_clinic_api.main import API_PREFIX
from vet_clinic_api.routers import appointments, availability, waitlist
from vet_core.models import Appointment, Clinic, Pet, User, Veterinarian
from vet_core.models.veterinarians import VeterinarianAvailability
from vet_services.scheduling import offer_freed_slot

from conftest import Api, error_of

NEW_YORK = ZoneInfo("America/New_York")
DAY = datetime.now(NEW_YORK).date() + timedelta(days=3)


def local(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    """An instant at a New York wall time, as UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK).astimezone(UTC)


def iso(value: datetime) -> str:
    return value.isoformat()


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest_asyncio.fixture(loop_scope="session")
async def api(app_factory, db_engine) -> AsyncIterator[Api]:
    """conftest's ``api``, on an app that also mounts the scheduling routers."""
    app = await app_factory()
    for module in (appointments, waitlist, availability):
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


@dataclass
class Practice:
    clinic: Clinic
    vet_user: User
    vet: Veterinarian
    receptionist: User
    owner: User
    pet: Pet
    other_owner: User
    other_pet: Pet


async def make_practice(api: Api) -> Practice:
    """A clinic open around the clock whose veterinarian works 08:00–18:00 every day."""
    clinic = await api.clinic(is_open_24h=True)
    vet_user, vet = await api.veterinarian(clinic)
    for weekday in range(1, 8):
        api.session.add(
            VeterinarianAvailability(
                veterinarian_id=vet.id,
                clinic_id=clinic.id,
                weekday=weekday,
                starts_at_local=time(8),
                ends_at_local=time(18),
                effective_from=DAY - timedelta(days=30),
            )
        )
    await api.session.flush()
    owner, other_owner = await api.user(), await api.user()
    return Practice(
        clinic=clinic,
        vet_user=vet_user,
        vet=vet,
        receptionist=await api.staff(clinic, "receptionist"),
        owner=owner,
        pet=await api.pet(owner),
        other_owner=other_owner,
        other_pet=await api.pet(other_owner, name="Pepper"),
    )


def booking(p: Practice, starts_at: datetime, *, pet: Pet | None = None, **extra: Any) -> dict:
    return {
        "pet_id": str((pet or p.pet).id),
        "veterinarian_id": str(p.vet.id),
        "clinic_id": str(p.clinic.id),
        "service_type": "wellness_exam",
        "starts_at": iso(starts_at),
        "ends_at": iso(starts_at + timedelta(minutes=30)),
        **extra,
    }


async def book(api: Api, p: Practice, user: User, starts_at: datetime, **kw: Any) -> dict:
    response = await api.client.post(
        "/api/v1/appointments", headers=api.auth(user), json=booking(p, starts_at, **kw)
    )
    assert response.status_code == 201, response.text
    return response.json()


# --- slots ------------------------------------------------------------------------------------


async def test_slots_of_a_veterinarian_and_of_the_clinic(api):
    p = await make_practice(api)
    await book(api, p, p.owner, local(10))
    params = {"start": DAY.isoformat(), "end": DAY.isoformat(), "service_type": "wellness_exam"}
    response = await api.client.get(
        f"/api/v1/veterinarians/{p.vet.id}/slots",
        headers=api.auth(p.owner),
        params={**params, "clinic_id": str(p.clinic.id)},
    )
    assert response.status_code == 200, response.text
    starts = [instant(slot["starts_at"]) for slot in response.json()]
    assert starts[0] == local(8)
    assert instant(response.json()[-1]["ends_at"]) == local(18)
    assert local(9, 30) in starts
    assert local(10, 30) in starts
    assert local(10) not in starts
    assert local(10, 15) not in starts
    assert {slot["veterinarian_id"] for slot in response.json()} == {str(p.vet.id)}

    clinic = await api.client.get(
        f"/api/v1/clinics/{p.clinic.id}/slots", headers=api.auth(p.owner), params=params
    )
    assert clinic.status_code == 200, clinic.text
    assert [instant(s["starts_at"]) for s in clinic.json()] == starts


async def test_slots_need_a_signed_in_caller_and_a_sane_range(api):
    p = await make_practice(api)
    url = f"/api/v1/clinics/{p.clinic.id}/slots"
    day = DAY.isoformat()
    assert (await api.client.get(url, params={"start": day, "end": day})).status_code == 401
    backwards = await api.client.get(
        url,
        headers=api.auth(p.owner),
        params={"start": day, "end": (DAY - timedelta(days=1)).isoformat()},
    )
    assert backwards.status_code == 422
    assert error_of(backwards)["code"] == "DATE_RANGE_INVALID"
    far = await api.client.get(
        url, headers=api.auth(p.owner), params={"start": "0001-01-01", "end": "0001-01-02"}
    )
    assert far.status_code == 422
    assert error_of(far)["details"] == {"field": "start"}
    missing = await api.client.get(url, headers=api.auth(p.owner), params={"start": day})
    assert missing.status_code == 422
    assert error_of(missing)["details"]["fields"][0]["field"] == "query.end"


# --- booking ----------------------------------------------------------------------------------


async def test_booking_is_idempotent_and_passes_the_key_to_the_service(api):
    p = await make_practice(api)
    headers = {**api.auth(p.owner), "Idempotency-Key": f"book-{uuid.uuid4().hex}"}
    body = booking(p, local(11))
    first = await api.client.post("/api/v1/appointments", headers=headers, json=body)
    assert first.status_code == 201, first.text
    created = first.json()
    assert created["status"] == "scheduled"
    assert created["booked_by_id"] == str(p.owner.id)
    assert "internal_notes" not in created
    assert "idempotency_key" not in created

    again = await api.client.post("/api/v1/appointments", headers=headers, json=body)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == created["id"]

    stored = await api.session.scalar(
        select(Appointment.idempotency_key).where(Appointment.id == uuid.UUID(created["id"]))
    )
    assert stored == f"{p.owner.id}:{headers['Idempotency-Key']}"
    count = await api.session.scalar(
        select(func.count()).select_from(Appointment).where(Appointment.pet_id == p.pet.id)
    )
    assert count == 1

    other_body = await api.client.post(
        "/api/v1/appointments", headers=headers, json=booking(p, local(14))
    )
    assert other_body.status_code == 422
    assert error_of(other_body)["code"] == "IDEMPOTENCY_KEY_REUSED"


async def test_an_overlapping_booking_is_409_with_alternatives(api):
    p = await make_practice(api)
    await book(api, p, p.owner, local(10))
    clash = await api.client.post(
        "/api/v1/appointments",
        headers=api.auth(p.other_owner),
        json=booking(p, local(10, 15), pet=p.other_pet),
    )
    assert clash.status_code == 409, clash.text
    error = error_of(clash)
    assert error["code"] == "APPOINTMENT_OVERLAP"
    alternatives = error["details"]["alternatives"]
    assert alternatives
    assert next(instant(a["starts_at"]) for a in alternatives) == local(10, 30)
    assert {a["veterinarian_id"] for a in alternatives} == {str(p.vet.id)}


async def test_booking_validation_and_access(api):
    p = await make_practice(api)
    # Without ends_at the service type's usual length is booked.
    no_end = {k: v for k, v in booking(p, local(10)).items() if k != "ends_at"}
    usual = await api.client.post("/api/v1/appointments", headers=api.auth(p.owner), json=no_end)
    assert usual.status_code == 201, usual.text
    assert instant(usual.json()["ends_at"]) == local(10, 30)
    # The server prices a booking: a price in the body is refused, naming the field.
    priced = await api.client.post(
        "/api/v1/appointments",
        headers=api.auth(p.owner),
        json=booking(p, local(11), price="10.00"),
    )
    assert priced.status_code == 422
    assert error_of(priced)["details"]["fields"][0]["field"] == "body.price"
    outside = await api.client.post(
        "/api/v1/appointments", headers=api.auth(p.owner), json=booking(p, local(19))
    )
    assert outside.status_code == 422
    assert error_of(outside)["code"] == "APPOINTMENT_OUTSIDE_AVAILABILITY"
    # Someone else's pet: not visible, so 404 rather than 403.
    foreign = await api.client.post(
        "/api/v1/appointments",
        headers=api.auth(p.owner),
        json=booking(p, local(10), pet=p.other_pet),
    )
    assert foreign.status_code == 404, foreign.text


# --- holds ------------------------------------------------------------------------------------


async def test_a_hold_keeps_the_slot_until_booked_or_released(api):
    p = await make_practice(api)
    hold_body = {
        "clinic_id": str(p.clinic.id),
        "veterinarian_id": str(p.vet.id),
        "pet_id": str(p.pet.id),
        "service_type": "wellness_exam",
        "starts_at": iso(local(15)),
    }
    held = await api.client.post(
        "/api/v1/appointments/holds", headers=api.auth(p.owner), json=hold_body
    )
    assert held.status_code == 201, held.text
    hold = held.json()
    assert hold["status"] == "active"
    assert instant(hold["ends_at"]) == local(15, 30)

    taken = await api.client.post(
        "/api/v1/appointments",
        headers=api.auth(p.other_owner),
        json=booking(p, local(15), pet=p.other_pet),
    )
    assert taken.status_code == 409
    assert error_of(taken)["code"] == "APPOINTMENT_OVERLAP"

    hold_url = f"/api/v1/appointments/holds/{hold['id']}/book"
    key = {"Idempotency-Key": f"hold-{uuid.uuid4().hex}"}
    nosy = await api.client.post(
        hold_url, headers=api.auth(p.other_owner), json={"service_type": "wellness_exam"}
    )
    assert nosy.status_code == 404
    fixed = await api.client.post(
        hold_url,
        headers=api.auth(p.owner),
        json={"service_type": "wellness_exam", "starts_at": iso(local(9))},
    )
    assert fixed.status_code == 422  # the hold fixes the time
    assert error_of(fixed)["details"]["fields"][0]["field"] == "body.starts_at"
    booked_hold = await api.client.post(
        hold_url,
        headers={**api.auth(p.owner), **key},
        json={"service_type": "wellness_exam", "reason": "annual check"},
    )
    assert booked_hold.status_code == 201, booked_hold.text
    booked = booked_hold.json()
    assert instant(booked["starts_at"]) == local(15)
    assert booked["reason"] == "annual check"
    replay = await api.client.post(
        hold_url,
        headers={**api.auth(p.owner), **key},
        json={"service_type": "wellness_exam", "reason": "annual check"},
    )
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == booked

    second = await api.client.post(
        "/api/v1/appointments/holds",
        headers=api.auth(p.owner),
        json={**hold_body, "starts_at": iso(local(16))},
    )
    assert second.status_code == 201, second.text
    url = f"/api/v1/appointments/holds/{second.json()['id']}"
    assert (await api.client.delete(url, headers=api.auth(p.other_owner))).status_code == 404
    assert (await api.client.delete(url, headers=api.auth(p.owner))).status_code == 204
    again = await api.client.delete(url, headers=api.auth(p.owner))
    assert again.status_code == 409
    assert error_of(again)["code"] == "HOLD_NOT_ACTIVE"

    absurd = await api.client.post(
        "/api/v1/appointments/holds",
        headers=api.auth(p.owner),
        json={**hold_body, "starts_at": "9999-12-31T23:00:00Z"},
    )
    assert absurd.status_code == 422
    assert error_of(absurd)["details"] == {"field": "starts_at"}


# --- one appointment and its lifecycle --------------------------------------------------------


async def test_staff_move_an_appointment_through_its_day_and_owners_may_not(api):
    p = await make_practice(api)
    appointment = await book(api, p, p.owner, local(9))
    url = f"/api/v1/appointments/{appointment['id']}"

    denied = await api.client.post(f"{url}/confirm", headers=api.auth(p.owner))
    assert denied.status_code == 403, denied.text
    assert error_of(denied)["code"] == "PERMISSION_DENIED"

    staff = api.auth(p.receptionist)
    seen: list[str] = []
    for action in ("confirm", "check-in", "start", "complete"):
        response = await api.client.post(f"{url}/{action}", headers=staff)
        assert response.status_code == 200, (action, response.text)
        seen.append(response.json()["status"])
        assert "internal_notes" in response.json()
    assert seen == ["confirmed", "checked_in", "in_progress", "completed"]
    done = (await api.client.get(url, headers=api.auth(p.owner))).json()
    assert done["status"] == "completed"
    assert done["completed_at"] is not None

    terminal = await api.client.post(f"{url}/cancel", headers=staff, json={"reason": "late"})
    assert terminal.status_code == 409
    assert error_of(terminal)["code"] == "APPOINTMENT_TRANSITION_INVALID"


async def test_a_stale_expected_status_is_409(api):
    p = await make_practice(api)
    appointment = await book(api, p, p.owner, local(9))
    response = await api.client.post(
        f"/api/v1/appointments/{appointment['id']}/check-in",
        headers=api.auth(p.receptionist),
        json={"expected_status": "confirmed"},
    )
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "APPOINTMENT_STATE_CHANGED"
    assert error["details"] == {"expected": "confirmed", "current": "scheduled"}


async def test_the_owner_cancels_and_reschedules(api):
    p = await make_practice(api)
    first = await book(api, p, p.owner, local(9))
    moved = await api.client.post(
        f"/api/v1/appointments/{first['id']}/reschedule",
        headers=api.auth(p.owner),
        json={"starts_at": iso(local(13))},
    )
    assert moved.status_code == 201, moved.text
    assert moved.json()["rescheduled_from_id"] == first["id"]
    assert instant(moved.json()["starts_at"]) == local(13)
    old = await api.client.get(f"/api/v1/appointments/{first['id']}", headers=api.auth(p.owner))
    assert old.json()["status"] == "cancelled"

    cancelled = await api.client.post(
        f"/api/v1/appointments/{moved.json()['id']}/cancel",
        headers=api.auth(p.owner),
        json={"reason": "The dog is fine now"},
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancellation_reason"] == "The dog is fine now"
    assert "cancelled_by_id" not in cancelled.json()


#: Every route that takes an appointment id: (method, suffix, body).
APPOINTMENT_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "", None),
    ("POST", "/reschedule", {"starts_at": iso(local(14))}),
    ("POST", "/cancel", {"reason": "no"}),
    ("POST", "/confirm", None),
    ("POST", "/check-in", None),
    ("POST", "/start", None),
    ("POST", "/complete", None),
    ("POST", "/no-show", None),
]


@pytest.mark.parametrize(("method", "suffix", "body"), APPOINTMENT_ROUTES)
async def test_another_owners_appointment_is_404_on_every_route(api, method, suffix, body):
    p = await make_practice(api)
    theirs = await api.appointment(p.other_pet, p.vet, p.clinic, p.other_owner)
    response = await api.client.request(
        method,
        f"/api/v1/appointments/{theirs.id}{suffix}",
        headers=api.auth(p.owner),
        json=body,
    )
    assert response.status_code == 404, response.text
    assert error_of(response)["code"] == "APPOINTMENT_NOT_FOUND"


@pytest.mark.parametrize(("method", "suffix", "body"), APPOINTMENT_ROUTES)
async def test_a_receptionist_of_another_clinic_gets_404(api, method, suffix, body):
    p = await make_practice(api)
    elsewhere = await api.staff(await api.clinic(), "receptionist")
    appointment = await api.appointment(p.pet, p.vet, p.clinic, p.owner)
    response = await api.client.request(
        method,
        f"/api/v1/appointments/{appointment.id}{suffix}",
        headers=api.auth(elsewhere),
        json=body,
    )
    assert response.status_code == 404, response.text


async def test_internal_notes_are_for_staff_only(api):
    p = await make_practice(api)
    appointment = await api.appointment(
        p.pet, p.vet, p.clinic, p.owner, internal_notes="Muzzle: bites when scared"
    )
    url = f"/api/v1/appointments/{appointment.id}"
    for staff in (p.receptionist, p.vet_user):
        seen = await api.client.get(url, headers=api.auth(staff))
        assert seen.status_code == 200, seen.text
        assert seen.json()["internal_notes"] == "Muzzle: bites when scared"
    owner_view = await api.client.get(url, headers=api.auth(p.owner))
    assert owner_view.status_code == 200
    assert "internal_notes" not in owner_view.json()
    assert "Muzzle" not in owner_view.text
    listed = await api.client.get("/api/v1/appointments", headers=api.auth(p.owner))
    assert "Muzzle" not in listed.text
    staff_list = await api.client.get(
        "/api/v1/appointments",
        headers=api.auth(p.receptionist),
        params={"clinic_id": str(p.clinic.id)},
    )
    assert staff_list.json()["items"][0]["internal_notes"] == "Muzzle: bites when scared"


# --- listing ----------------------------------------------------------------------------------


async def test_list_filters_and_pagination(api):
    p = await make_practice(api)
    second_pet = await api.pet(p.owner, name="Noodle")
    ids = [
        (await book(api, p, p.owner, local(9)))["id"],
        (await book(api, p, p.owner, local(10), pet=second_pet))["id"],
        (await book(api, p, p.owner, local(11)))["id"],
    ]
    await book(api, p, p.other_owner, local(12), pet=p.other_pet)
    cancelled = await api.client.post(
        f"/api/v1/appointments/{ids[0]}/cancel", headers=api.auth(p.owner), json={}
    )
    assert cancelled.status_code == 200, cancelled.text
    mine = api.auth(p.owner)

    async def listed(headers: dict[str, str], **params: Any) -> dict[str, Any]:
        response = await api.client.get("/api/v1/appointments", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    first = await listed(mine, limit=2)
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    assert first["limit"] == 2
    rest = await listed(mine, limit=2, cursor=first["next_cursor"])
    assert rest["next_cursor"] is None
    paged = [a["id"] for a in first["items"] + rest["items"]]
    assert sorted(paged) == sorted(ids)
    assert len(set(paged)) == 3

    assert [a["id"] for a in (await listed(mine, status="cancelled"))["items"]] == [ids[0]]
    both = await listed(mine, status=["scheduled", "cancelled"])
    assert len(both["items"]) == 3
    assert [a["id"] for a in (await listed(mine, pet_id=str(second_pet.id)))["items"]] == [ids[1]]
    window = await listed(mine, starts_from=iso(local(10)), starts_before=iso(local(11)))
    assert [a["id"] for a in window["items"]] == [ids[1]]
    assert (await listed(mine, veterinarian_id=str(uuid.uuid4())))["items"] == []

    staff = await listed(api.auth(p.receptionist), clinic_id=str(p.clinic.id), limit=100)
    assert len(staff["items"]) == 4
    outsider = await api.staff(await api.clinic(), "receptionist")
    assert (await listed(api.auth(outsider), clinic_id=str(p.clinic.id)))["items"] == []

    bad_cursor = await api.client.get(
        "/api/v1/appointments", headers=mine, params={"cursor": "not-a-cursor"}
    )
    assert bad_cursor.status_code == 422
    naive = await api.client.get(
        "/api/v1/appointments", headers=mine, params={"starts_from": "2031-01-01T10:00:00"}
    )
    assert naive.status_code == 422
    assert error_of(naive)["details"]["fields"][0]["field"] == "query.starts_from"


# --- waitlist ---------------------------------------------------------------------------------


async def test_waitlist_join_list_claim_and_leave(api):
    p = await make_practice(api)
    taken = await book(api, p, p.owner, local(10))
    joined = await api.client.post(
        "/api/v1/waitlist",
        headers=api.auth(p.other_owner),
        json={
            "clinic_id": str(p.clinic.id),
            "pet_id": str(p.other_pet.id),
            "service_type": "wellness_exam",
            "earliest_at": iso(local(8)),
            "latest_at": iso(local(18)),
        },
    )
    assert joined.status_code == 201, joined.text
    entry = joined.json()
    assert entry["status"] == "waiting"
    mine = await api.client.get("/api/v1/waitlist", headers=api.auth(p.other_owner))
    assert [e["id"] for e in mine.json()["items"]] == [entry["id"]]
    assert (await api.client.get("/api/v1/waitlist", headers=api.auth(p.owner))).json()[
        "items"
    ] == []

    claim_url = f"/api/v1/waitlist/{entry['id']}/claim"
    early = await api.client.post(claim_url, headers=api.auth(p.other_owner))
    assert early.status_code == 409
    assert error_of(early)["code"] == "WAITLIST_OFFER_NOT_ACTIVE"

    cancel = await api.client.post(
        f"/api/v1/appointments/{taken['id']}/cancel", headers=api.auth(p.owner), json={}
    )
    assert cancel.status_code == 200
    offered = await offer_freed_slot(api.session, freed_appointment_id=uuid.UUID(taken["id"]))
    assert [str(e.id) for e in offered] == [entry["id"]]

    assert (await api.client.post(claim_url, headers=api.auth(p.owner))).status_code == 404
    headers = {**api.auth(p.other_owner), "Idempotency-Key": f"claim-{uuid.uuid4().hex}"}
    claimed = await api.client.post(claim_url, headers=headers)
    assert claimed.status_code == 201, claimed.text
    appointment = claimed.json()
    assert appointment["pet_id"] == str(p.other_pet.id)
    assert instant(appointment["starts_at"]) == local(10)
    replay = await api.client.post(claim_url, headers=headers)
    assert replay.status_code == 201
    assert replay.json()["id"] == appointment["id"]
    status = await api.client.get(
        "/api/v1/waitlist", headers=api.auth(p.other_owner), params={"status": "booked"}
    )
    assert [e["id"] for e in status.json()["items"]] == [entry["id"]]

    second = await api.client.post(
        "/api/v1/waitlist",
        headers=api.auth(p.other_owner),
        json={
            "clinic_id": str(p.clinic.id),
            "pet_id": str(p.other_pet.id),
            "service_type": "dental",
        },
    )
    assert second.status_code == 201
    url = f"/api/v1/waitlist/{second.json()['id']}"
    assert (await api.client.delete(url, headers=api.auth(p.owner))).status_code == 404
    assert (await api.client.delete(url, headers=api.auth(p.other_owner))).status_code == 204
    left = await api.client.get(
        "/api/v1/waitlist", headers=api.auth(p.other_owner), params={"status": "cancelled"}
    )
    assert [e["id"] for e in left.json()["items"]] == [second.json()["id"]]


async def test_joining_the_waitlist_for_someone_elses_pet_is_404(api):
    p = await make_practice(api)
    response = await api.client.post(
        "/api/v1/waitlist",
        headers=api.auth(p.owner),
        json={
            "clinic_id": str(p.clinic.id),
            "pet_id": str(p.other_pet.id),
            "service_type": "wellness_exam",
        },
    )
    assert response.status_code == 404


# --- calendars --------------------------------------------------------------------------------


async def test_day_and_week_calendars_are_for_the_clinics_staff(api):
    p = await make_practice(api)
    appointment = await book(api, p, p.owner, local(10))
    day = {"date": DAY.isoformat()}
    clinic_url = f"/api/v1/clinics/{p.clinic.id}/calendar"
    today = await api.client.get(clinic_url, headers=api.auth(p.receptionist), params=day)
    assert today.status_code == 200, today.text
    body = today.json()
    assert body["timezone"] == "America/New_York"
    assert [d["day"] for d in body["days"]] == [DAY.isoformat()]
    [entry] = body["days"][0]["entries"]
    assert entry["appointment_id"] == appointment["id"]
    assert instant(entry["starts_at"]) == local(10)

    week = await api.client.get(
        f"/api/v1/veterinarians/{p.vet.id}/calendar",
        headers=api.auth(p.vet_user),
        params={**day, "view": "week", "clinic_id": str(p.clinic.id)},
    )
    assert week.status_code == 200, week.text
    days = week.json()["days"]
    assert len(days) == 7
    assert date.fromisoformat(days[0]["day"]).isoweekday() == 1
    assert sum(len(d["entries"]) for d in days) == 1

    for outsider in (p.owner, await api.staff(await api.clinic(), "receptionist")):
        denied = await api.client.get(clinic_url, headers=api.auth(outsider), params=day)
        assert denied.status_code == 404, denied.text
    bad_view = await api.client.get(
        clinic_url, headers=api.auth(p.receptionist), params={**day, "view": "month"}
    )
    assert bad_view.status_code == 422


async def test_rescheduling_into_a_taken_slot_is_409_and_keeps_the_old_one(api):
    p = await make_practice(api)
    mine = await book(api, p, p.owner, local(9))
    await book(api, p, p.other_owner, local(13), pet=p.other_pet)
    moved = await api.client.post(
        f"/api/v1/appointments/{mine['id']}/reschedule",
        headers=api.auth(p.owner),
        json={"starts_at": iso(local(13))},
    )
    assert moved.status_code == 409, moved.text
    error = error_of(moved)
    assert error["code"] == "APPOINTMENT_OVERLAP"
    assert error["details"]["alternatives"]
    still = await api.client.get(f"/api/v1/appointments/{mine['id']}", headers=api.auth(p.owner))
    assert still.json()["status"] == "scheduled"
    absurd = await api.client.post(
        f"/api/v1/appointments/{mine['id']}/reschedule",
        headers=api.auth(p.owner),
        json={"starts_at": "9999-12-31T23:59:00Z"},
    )
    assert absurd.status_code == 422
    assert error_of(absurd)["details"] == {"field": "starts_at"}


async def test_staff_mark_a_no_show(api):
    p = await make_practice(api)
    appointment = await book(api, p, p.owner, local(9))
    url = f"/api/v1/appointments/{appointment['id']}/no-show"
    assert (await api.client.post(url, headers=api.auth(p.owner))).status_code == 403
    marked = await api.client.post(url, headers=api.auth(p.vet_user))
    assert marked.status_code == 200, marked.text
    assert marked.json()["status"] == "no_show"
