"""Clinic search, emergencies, files, notifications, reports and the audit log over HTTP,
against the real database and Redis, with who may see and do what."""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from vet_clinic_api.main import API_PREFIX
from vet_clinic_api.routers import audit, files, notifications, places, reports
from vet_core.models import Notification, OutboxEvent
from vet_core.models.audit import AuditLog
from vet_core.models.enums import AppointmentStatus, AuditAction, NotificationCategory
from vet_services.storage.settings import StorageSettings

from conftest import Api, error_of

#: A corner of the map nothing else in the test database uses (south of New Zealand).
ORIGIN = (-47.0, 168.0)
KM_OF_LATITUDE = 1 / 111.2


def north(km: float) -> dict[str, float]:
    return {"latitude": ORIGIN[0] + km * KM_OF_LATITUDE, "longitude": ORIGIN[1]}


NEAR = {"lat": ORIGIN[0], "lng": ORIGIN[1]}


@pytest_asyncio.fixture(loop_scope="session")
async def api(app_factory, db_engine, tmp_path: Path) -> AsyncIterator[Api]:
    """conftest's ``api``, on an app that also mounts these routers and stores files locally."""
    app = await app_factory()
    existing = list(app.router.routes)
    for module in (places, files, notifications, reports, audit):
        app.include_router(module.router, prefix=API_PREFIX)
    # First, as main.py must mount them too: `/clinics/search` is not a clinic id.
    added = app.router.routes[len(existing) :]
    app.router.routes[:] = [*added, *existing]
    app.state.storage_settings = StorageSettings(
        backend="local",
        local_root=tmp_path / "storage",
        local_base_url=f"http://testserver{API_PREFIX}/storage/local",
        local_signing_key=SecretStr("test-signing-key-" + uuid.uuid4().hex),
    )
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


# --- clinic search (public) -------------------------------------------------------------------


async def test_search_is_public_nearest_first_and_honours_filters(api: Api) -> None:
    far = await api.clinic(name="Harbour Cat Clinic", services=["surgery"], **north(8))
    near = await api.clinic(
        name="Southern Veterinary Hospital",
        services=["dentistry"],
        accepts_emergencies=True,
        is_open_24h=True,
        **north(1),
    )
    await api.clinic(name="Out Of Range Vets", **north(40))

    async def search(**params: Any) -> list[str]:
        response = await api.client.get(
            "/api/v1/clinics/search", params={**NEAR, "radius_km": 20, **params}
        )
        assert response.status_code == 200, response.text
        return [hit["id"] for hit in response.json()["items"]]

    assert await search() == [str(near.id), str(far.id)]
    assert await search(emergency="true") == [str(near.id)]
    assert await search(open_now="true") == [str(near.id)]
    assert await search(service="surgery") == [str(far.id)]
    assert await search(q="cat") == [str(far.id)]
    assert await search(name="veterinery") == [str(near.id)]
    assert await search(accepting_new_patients="true") == [str(near.id), str(far.id)]
    _, reptile_vet = await api.veterinarian(far)
    reptile_vet.species_expertise = ["reptile"]
    await api.session.flush()
    assert await search(species="reptile") == [str(far.id)]

    first = await api.client.get("/api/v1/clinics/search", params={**NEAR, "limit": 1})
    body = first.json()
    assert [hit["id"] for hit in body["items"]] == [str(near.id)]
    assert body["items"][0]["distance_m"] == pytest.approx(1000, abs=15)
    second = await api.client.get(
        "/api/v1/clinics/search", params={**NEAR, "limit": 1, "cursor": body["next_cursor"]}
    )
    assert [hit["id"] for hit in second.json()["items"]] == [str(far.id)]
    assert second.json()["next_cursor"] is None


async def test_search_validation_names_the_field(api: Api) -> None:
    missing = await api.client.get("/api/v1/clinics/search", params={"lng": 0})
    assert missing.status_code == 422
    assert "lat" in error_of(missing)["message"]
    too_wide = await api.client.get("/api/v1/clinics/search", params={**NEAR, "radius_km": 500})
    assert too_wide.status_code == 422
    assert "radius_km" in error_of(too_wide)["message"]
    bad_cursor = await api.client.get(
        "/api/v1/clinics/search", params={**NEAR, "cursor": "bm90LWEtY3Vyc29y"}
    )
    assert bad_cursor.status_code == 422
    bad_species = await api.client.get(
        "/api/v1/clinics/search", params={**NEAR, "species": "dragon"}
    )
    assert bad_species.status_code == 422
    assert "species" in error_of(bad_species)["message"]
    off_the_map = await api.client.get("/api/v1/emergency/clinics", params={"lat": 91, "lng": 0})
    assert off_the_map.status_code == 422
    assert "lat" in error_of(off_the_map)["message"]


# --- emergencies ------------------------------------------------------------------------------


async def test_emergency_clinics_rank_by_time_to_care(api: Api) -> None:
    busy = await api.clinic(
        name="Busy ER", accepts_emergencies=True, is_open_24h=True, phone="+6431234567", **north(1)
    )
    idle = await api.clinic(name="Idle ER", accepts_emergencies=True, is_open_24h=True, **north(8))
    await api.clinic(name="Day Clinic", is_open_24h=True, **north(0.5))
    _, vet = await api.veterinarian(busy)
    owner = await api.user()
    pet = await api.pet(owner)
    await api.appointment(
        pet,
        vet,
        busy,
        owner,
        status=AppointmentStatus.CHECKED_IN,
        starts_at=datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10),
    )

    response = await api.client.get("/api/v1/emergency/clinics", params=NEAR)
    assert response.status_code == 200, response.text
    options = response.json()
    # 1 km away with one patient in care (≈16.5 min) loses to 8 km away and idle (≈12 min).
    assert [o["clinic_id"] for o in options] == [str(idle.id), str(busy.id)]
    assert options[1]["patients_in_care"] == 1
    assert options[0]["estimated_minutes_to_care"] < options[1]["estimated_minutes_to_care"]


async def test_emergency_requests_need_a_caller_and_a_suitable_clinic(api: Api) -> None:
    er = await api.clinic(name="Open ER", accepts_emergencies=True, is_open_24h=True, **north(2))
    day_clinic = await api.clinic(name="No ER", is_open_24h=True, **north(3))
    owner = await api.user()
    body = {
        "clinic_id": str(er.id),
        "description": "Dog ate chocolate",
        "contact_phone": "+64 21 555 0100",
        "species": "dog",
        "latitude": ORIGIN[0],
        "longitude": ORIGIN[1],
    }

    anonymous = await api.client.post("/api/v1/emergency/requests", json=body)
    assert anonymous.status_code == 401
    accepted = await api.client.post(
        "/api/v1/emergency/requests", json=body, headers=api.auth(owner)
    )
    assert accepted.status_code == 202, accepted.text
    receipt = accepted.json()
    assert receipt["clinic_id"] == str(er.id)
    assert uuid.UUID(receipt["reference"])
    assert receipt["distance_m"] == pytest.approx(2000, abs=30)

    refused = await api.client.post(
        "/api/v1/emergency/requests",
        json={**body, "clinic_id": str(day_clinic.id)},
        headers=api.auth(owner),
    )
    assert refused.status_code == 422
    assert error_of(refused)["code"] == "CLINIC_NOT_EMERGENCY_CAPABLE"
    unknown = await api.client.post(
        "/api/v1/emergency/requests",
        json={**body, "clinic_id": str(uuid.uuid4())},
        headers=api.auth(owner),
    )
    assert unknown.status_code == 404
    invalid = await api.client.post(
        "/api/v1/emergency/requests",
        json={**body, "contact_phone": ""},
        headers=api.auth(owner),
    )
    assert invalid.status_code == 422
    assert "contact_phone" in error_of(invalid)["message"]


# --- files ------------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def local_path(url: str) -> str:
    parts = urlsplit(url)
    assert parts.netloc == "testserver"
    return f"{parts.path}?{parts.query}"


async def upload_pdf(api: Api, owner: Any, pet: Any, data: bytes = PDF) -> str:
    ticket = await api.client.post(
        "/api/v1/files",
        headers=api.auth(owner),
        json={
            "entity_type": "pet",
            "entity_id": str(pet.id),
            "filename": "lab-results.pdf",
            "content_type": "application/pdf",
            "size_bytes": len(data),
            "checksum_sha256": hashlib.sha256(data).hexdigest(),
        },
    )
    assert ticket.status_code == 201, ticket.text
    upload = ticket.json()["upload"]
    assert upload["method"] == "PUT"
    put = await api.client.put(local_path(upload["url"]), content=data, headers=upload["headers"])
    assert put.status_code == 204, put.text
    return str(ticket.json()["file_id"])


async def test_upload_confirm_and_download_only_for_owner_and_clinic_staff(api: Api) -> None:
    clinic = await api.clinic()
    owner, stranger = await api.user(), await api.user()
    pet = await api.pet(owner)
    _, vet = await api.veterinarian(clinic)
    await api.appointment(pet, vet, clinic, owner)
    receptionist = await api.staff(clinic, "receptionist")
    other_clinic_staff = await api.staff(await api.clinic(), "veterinarian")

    file_id = await upload_pdf(api, owner, pet)
    # Not confirmed yet: nobody can download it.
    pending = await api.client.get(f"/api/v1/files/{file_id}", headers=api.auth(owner))
    assert pending.status_code == 404
    assert (
        await api.client.post(f"/api/v1/files/{file_id}/confirm", headers=api.auth(stranger))
    ).status_code == 404
    confirmed = await api.client.post(f"/api/v1/files/{file_id}/confirm", headers=api.auth(owner))
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "available"
    assert confirmed.json()["content_type"] == "application/pdf"

    for reader in (owner, receptionist):
        link = await api.client.get(f"/api/v1/files/{file_id}", headers=api.auth(reader))
        assert link.status_code == 200, link.text
        assert link.json()["method"] == "GET"
        assert link.headers["cache-control"] == "private, no-store"
        download = await api.client.get(local_path(link.json()["url"]))
        assert download.status_code == 200
        assert download.content == PDF
        assert download.headers["content-type"] == "application/pdf"
        assert download.headers["content-disposition"] == "attachment"

    for outsider in (stranger, other_clinic_staff):
        refused = await api.client.get(f"/api/v1/files/{file_id}", headers=api.auth(outsider))
        assert refused.status_code == 404
        assert error_of(refused)["code"] == "FILE_NOT_FOUND"
    assert (await api.client.get(f"/api/v1/files/{file_id}")).status_code == 401


async def test_signed_local_urls_refuse_tampering_and_bad_uploads(api: Api) -> None:
    owner, stranger = await api.user(), await api.user()
    pet = await api.pet(owner)
    file_id = await upload_pdf(api, owner, pet)
    await api.client.post(f"/api/v1/files/{file_id}/confirm", headers=api.auth(owner))
    link = (await api.client.get(f"/api/v1/files/{file_id}", headers=api.auth(owner))).json()

    path, _, signature = local_path(link["url"]).rpartition("signature=")
    forged = f"{path}signature={'0' if signature[0] != '0' else '1'}{signature[1:]}"
    refused = await api.client.get(forged)
    assert refused.status_code == 401
    assert error_of(refused)["code"] == "SIGNED_URL_INVALID"

    # A stranger may not attach files to someone else's pet.
    ticket = await api.client.post(
        "/api/v1/files",
        headers=api.auth(stranger),
        json={
            "entity_type": "pet",
            "entity_id": str(pet.id),
            "filename": "x.pdf",
            "content_type": "application/pdf",
            "size_bytes": len(PDF),
            "checksum_sha256": hashlib.sha256(PDF).hexdigest(),
        },
    )
    assert ticket.status_code == 404

    # Bytes that differ from the signed checksum are refused at upload.
    ticket = await api.client.post(
        "/api/v1/files",
        headers=api.auth(owner),
        json={
            "entity_type": "pet",
            "entity_id": str(pet.id),
            "filename": "x.pdf",
            "content_type": "application/pdf",
            "size_bytes": len(PDF),
            "checksum_sha256": hashlib.sha256(PDF).hexdigest(),
        },
    )
    upload = ticket.json()["upload"]
    tampered = PDF[:-2] + b"!\n"
    put = await api.client.put(
        local_path(upload["url"]), content=tampered, headers=upload["headers"]
    )
    assert put.status_code == 422
    assert error_of(put)["code"] == "FILE_CHECKSUM_MISMATCH"
    not_uploaded = await api.client.post(
        f"/api/v1/files/{ticket.json()['file_id']}/confirm", headers=api.auth(owner)
    )
    assert not_uploaded.status_code == 422
    assert error_of(not_uploaded)["code"] == "FILE_NOT_UPLOADED"

    invalid = await api.client.post(
        "/api/v1/files",
        headers=api.auth(owner),
        json={
            "entity_type": "invoice",
            "entity_id": str(pet.id),
            "filename": "x.pdf",
            "content_type": "application/pdf",
            "size_bytes": 10,
            "checksum_sha256": "0" * 64,
        },
    )
    assert invalid.status_code == 422
    assert "entity_type" in error_of(invalid)["message"]


# --- notifications ----------------------------------------------------------------------------


async def test_notifications_list_page_and_mark_read(api: Api) -> None:
    me, someone = await api.user(), await api.user()
    made = []
    for title in ("first", "second", "third"):
        notification = Notification(
            user_id=me.id, category=NotificationCategory.REMINDER, title=title
        )
        api.session.add(notification)
        made.append(notification)
    api.session.add(
        Notification(user_id=someone.id, category=NotificationCategory.SYSTEM, title="theirs")
    )
    await api.session.flush()

    first = await api.client.get("/api/v1/notifications?limit=2", headers=api.auth(me))
    assert first.status_code == 200, first.text
    page = first.json()
    assert [n["title"] for n in page["items"]] == ["third", "second"]
    assert page["limit"] == 2
    rest = await api.client.get(
        "/api/v1/notifications",
        params={"limit": 2, "cursor": page["next_cursor"]},
        headers=api.auth(me),
    )
    assert [n["title"] for n in rest.json()["items"]] == ["first"]
    assert rest.json()["next_cursor"] is None

    read = await api.client.post(f"/api/v1/notifications/{made[2].id}/read", headers=api.auth(me))
    assert read.status_code == 200, read.text
    assert read.json()["read_at"] is not None
    unread = await api.client.get("/api/v1/notifications?unread=true", headers=api.auth(me))
    assert [n["title"] for n in unread.json()["items"]] == ["second", "first"]

    theirs = await api.client.post(
        f"/api/v1/notifications/{made[0].id}/read", headers=api.auth(someone)
    )
    assert theirs.status_code == 404
    assert error_of(theirs)["code"] == "NOTIFICATION_NOT_FOUND"
    assert (await api.client.get("/api/v1/notifications")).status_code == 401
    bad_limit = await api.client.get("/api/v1/notifications?limit=0", headers=api.auth(me))
    assert bad_limit.status_code == 422


# --- reports ----------------------------------------------------------------------------------

PERIOD = {"first_day": "2026-10-01", "last_day": "2026-10-31"}


async def clinic_with_history(api: Api) -> Any:
    clinic = await api.clinic(timezone="America/New_York")
    _, vet = await api.veterinarian(clinic)
    owner = await api.user()
    pet = await api.pet(owner)
    day = datetime(2026, 10, 5, 14, 0, tzinfo=UTC)
    await api.appointment(
        pet, vet, clinic, owner, status=AppointmentStatus.COMPLETED, starts_at=day, completed_at=day
    )
    await api.appointment(
        pet,
        vet,
        clinic,
        owner,
        status=AppointmentStatus.COMPLETED,
        starts_at=day + timedelta(hours=1),
        completed_at=day + timedelta(hours=1),
    )
    await api.appointment(
        pet,
        vet,
        clinic,
        owner,
        status=AppointmentStatus.NO_SHOW,
        starts_at=day + timedelta(days=1),
    )
    return clinic


async def test_reports_json_and_csv_for_clinic_admins(api: Api) -> None:
    clinic = await clinic_with_history(api)
    admin = await api.staff(clinic, "clinic_admin")
    base = f"/api/v1/clinics/{clinic.id}/reports"

    appointments = await api.client.get(
        f"{base}/appointments", params=PERIOD, headers=api.auth(admin)
    )
    assert appointments.status_code == 200, appointments.text
    assert appointments.json()["timezone"] == "America/New_York"
    assert appointments.json()["appointments"] == [
        {"day": "2026-10-05", "status": "completed", "count": 2},
        {"day": "2026-10-06", "status": "no_show", "count": 1},
    ]
    no_shows = (
        await api.client.get(f"{base}/no-shows", params=PERIOD, headers=api.auth(admin))
    ).json()
    assert (no_shows["no_shows"], no_shows["completed"]) == (1, 2)
    assert no_shows["rate"] == 0.3333
    revenue = await api.client.get(f"{base}/revenue", params=PERIOD, headers=api.auth(admin))
    assert revenue.json()["revenue"] == []
    vaccination = await api.client.get(
        f"{base}/vaccination-compliance", params={"as_of": "2026-11-01"}, headers=api.auth(admin)
    )
    assert vaccination.status_code == 200, vaccination.text
    assert (vaccination.json()["patients"], vaccination.json()["compliant"]) == (1, 1)
    full = await api.client.get(base, params=PERIOD, headers=api.auth(admin))
    assert full.status_code == 200, full.text
    assert full.json()["no_show"]["rate"] == 0.3333

    exported = await api.client.get(
        f"{base}/appointments", params={**PERIOD, "format": "csv"}, headers=api.auth(admin)
    )
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows == [
        ["section", "day", "status", "currency", "value"],
        ["appointments", "2026-10-05", "completed", "", "2"],
        ["appointments", "2026-10-06", "no_show", "", "1"],
    ]
    no_show_csv = await api.client.get(
        f"{base}/no-shows", params={**PERIOD, "format": "csv"}, headers=api.auth(admin)
    )
    sections = [row[0] for row in csv.reader(io.StringIO(no_show_csv.content.decode("utf-8-sig")))]
    assert sections == ["section", "no_show_rate", "no_shows", "completed"]


async def test_reports_are_403_for_a_receptionist_and_404_for_another_clinic(api: Api) -> None:
    clinic = await clinic_with_history(api)
    receptionist = await api.staff(clinic, "receptionist")
    other_admin = await api.staff(await api.clinic(), "clinic_admin")
    url = f"/api/v1/clinics/{clinic.id}/reports/appointments"

    forbidden = await api.client.get(url, params=PERIOD, headers=api.auth(receptionist))
    assert forbidden.status_code == 403
    hidden = await api.client.get(url, params=PERIOD, headers=api.auth(other_admin))
    assert hidden.status_code == 404
    assert error_of(hidden)["code"] == "CLINIC_NOT_FOUND"
    admin = await api.staff(clinic, "clinic_admin")
    backwards = await api.client.get(
        url,
        params={"first_day": "2026-10-31", "last_day": "2026-10-01"},
        headers=api.auth(admin),
    )
    assert backwards.status_code == 422
    bad_format = await api.client.get(
        url, params={**PERIOD, "format": "xml"}, headers=api.auth(admin)
    )
    assert bad_format.status_code == 422
    assert "format" in error_of(bad_format)["message"]


# --- audit log --------------------------------------------------------------------------------


async def test_audit_log_for_admins_only(api: Api) -> None:
    clinic = await api.clinic()
    admin = await api.staff(clinic, "clinic_admin")
    receptionist = await api.staff(clinic, "receptionist")
    owner = await api.user()
    platform_admin = await api.user("platform_admin")
    base = datetime.now(UTC) - timedelta(minutes=5)
    for minutes, action, actor_id in (
        (1, AuditAction.CREATE, admin.id),
        (2, AuditAction.UPDATE, admin.id),
        (3, AuditAction.UPDATE, receptionist.id),
    ):
        api.session.add(
            AuditLog(
                occurred_at=base + timedelta(minutes=minutes),
                actor_id=actor_id,
                action=action,
                entity_type="clinic",
                entity_id=clinic.id,
                changes={"name": {"old": "a", "new": "b"}},
            )
        )
    await api.session.flush()

    response = await api.client.get(
        "/api/v1/audit-log",
        params={"clinic_id": str(clinic.id), "limit": 2},
        headers=api.auth(admin),
    )
    assert response.status_code == 200, response.text
    page = response.json()
    assert [e["actor_id"] for e in page["items"]] == [str(receptionist.id), str(admin.id)]
    rest = await api.client.get(
        "/api/v1/audit-log",
        params={"clinic_id": str(clinic.id), "limit": 2, "cursor": page["next_cursor"]},
        headers=api.auth(admin),
    )
    assert [e["action"] for e in rest.json()["items"]] == ["create"]
    assert rest.json()["next_cursor"] is None

    by_actor = await api.client.get(
        "/api/v1/audit-log",
        params={"clinic_id": str(clinic.id), "actor_id": str(admin.id), "action": "update"},
        headers=api.auth(admin),
    )
    assert [e["action"] for e in by_actor.json()["items"]] == ["update"]

    everything = await api.client.get(
        "/api/v1/audit-log",
        params={"entity_type": "clinic", "entity_id": str(clinic.id)},
        headers=api.auth(platform_admin),
    )
    assert everything.status_code == 200
    assert len(everything.json()["items"]) == 3

    unscoped = await api.client.get("/api/v1/audit-log", headers=api.auth(admin))
    assert unscoped.status_code == 403
    assert error_of(unscoped)["code"] == "AUDIT_SCOPE_REQUIRED"
    forbidden = await api.client.get(
        "/api/v1/audit-log", params={"clinic_id": str(clinic.id)}, headers=api.auth(receptionist)
    )
    assert forbidden.status_code == 403
    hidden = await api.client.get(
        "/api/v1/audit-log", params={"clinic_id": str(clinic.id)}, headers=api.auth(owner)
    )
    assert hidden.status_code == 404
    assert (await api.client.get("/api/v1/audit-log")).status_code == 401


async def export_jobs(api: Api) -> list[dict[str, Any]]:
    rows = await api.session.scalars(
        select(OutboxEvent).where(OutboxEvent.topic == "reports.export").order_by(OutboxEvent.id)
    )
    return [dict(row.payload) for row in rows]


async def test_a_report_export_is_queued_once_per_idempotency_key(api: Api) -> None:
    clinic = await api.clinic()
    admin = await api.staff(clinic, "clinic_admin")
    url = f"/api/v1/clinics/{clinic.id}/reports/exports"
    headers = {**api.auth(admin), "Idempotency-Key": "export-october-1"}

    first = await api.client.post(url, json=PERIOD, headers=headers)
    again = await api.client.post(url, json=PERIOD, headers=headers)

    assert first.status_code == 202, first.text
    assert first.json() == again.json()
    assert first.json()["kind"] == "clinic_report"
    [job] = await export_jobs(api)
    assert job["export_id"] == first.json()["export_id"]
    assert job["clinic_id"] == str(clinic.id)


async def test_report_exports_are_checked_like_the_reports(api: Api) -> None:
    clinic = await api.clinic()
    receptionist = await api.staff(clinic, "receptionist")
    other_admin = await api.staff(await api.clinic(), "clinic_admin")
    admin = await api.staff(clinic, "clinic_admin")
    url = f"/api/v1/clinics/{clinic.id}/reports/exports"

    assert (await api.client.post(url, json=PERIOD)).status_code == 401
    forbidden = await api.client.post(url, json=PERIOD, headers=api.auth(receptionist))
    assert forbidden.status_code == 403
    hidden = await api.client.post(url, json=PERIOD, headers=api.auth(other_admin))
    assert hidden.status_code == 404
    backwards = await api.client.post(
        url, json={"first_day": "2026-10-31", "last_day": "2026-10-01"}, headers=api.auth(admin)
    )
    assert backwards.status_code == 422
    missing = await api.client.post(url, json={"first_day": "2026-10-01"}, headers=api.auth(admin))
    assert missing.status_code == 422
    assert "last_day" in error_of(missing)["message"]
    assert await export_jobs(api) == []


async def test_an_owner_asks_for_their_own_data(api: Api) -> None:
    owner = await api.user()

    response = await api.client.post("/api/v1/users/me/export", headers=api.auth(owner))

    assert response.status_code == 202, response.text
    [job] = await export_jobs(api)
    assert job["kind"] == "owner_data"
    assert job["user_id"] == str(owner.id)
    assert (await api.client.post("/api/v1/users/me/export")).status_code == 401
