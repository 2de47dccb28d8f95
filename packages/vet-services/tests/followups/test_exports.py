"""Exports: requested (checked, one outbox job), then built as the requester, stored once, and
announced once with a signed link; a pet owner's data comes as a ZIP of CSV files."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from factories import Builder, make_practice
from followup_support import plain
from notifications.loopback import SmtpSink
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import NotFoundException
from vet_core.models import FileObject, Vaccination
from vet_core.models.enums import AppointmentStatus, FileStatus, StaffRole
from vet_core.models.outbox import OutboxEvent
from vet_services.exports import build_export
from vet_services.notifications.dispatcher import Dispatcher
from vet_services.reports import (
    CSV_HEADER,
    EXPORT_OWNER_DATA,
    EXPORT_TOPIC,
    request_export,
    request_owner_export,
)
from vet_services.storage.local import LocalStorage, verify

SIGNING_KEY = b"export-test-signing-key"


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(
        tmp_path, base_url="http://127.0.0.1:8000/api/v1/storage/local", signing_key=SIGNING_KEY
    )


async def _job(session: AsyncSession, export_id: uuid.UUID) -> dict[str, object]:
    return (
        await session.execute(
            select(OutboxEvent.payload).where(
                OutboxEvent.dedup_key == f"{EXPORT_TOPIC}:{export_id}"
            )
        )
    ).scalar_one()


async def test_a_clinic_report_export_is_stored_once_and_its_link_sent_once(
    build: Builder,
    db_session: AsyncSession,
    mailer: Dispatcher,
    smtp: SmtpSink,
    storage: LocalStorage,
) -> None:
    practice = await make_practice(build)
    admin = await build.staff(practice.clinic, StaffRole.CLINIC_ADMIN)
    await build.appointment(
        vet=practice.vet,
        clinic=practice.clinic,
        pet=practice.pet,
        starts_at=datetime(2031, 3, 4, 15, tzinfo=UTC),
        status=AppointmentStatus.COMPLETED,
    )
    with pytest.raises(NotFoundException):  # an owner may not read the clinic's figures
        await request_export(
            db_session,
            practice.owner.actor,
            practice.clinic.id,
            first_day=date(2031, 3, 1),
            last_day=date(2031, 3, 31),
        )

    requested = await request_export(
        db_session,
        admin.actor,
        practice.clinic.id,
        first_day=date(2031, 3, 1),
        last_day=date(2031, 3, 31),
    )
    payload = await _job(db_session, requested.export_id)
    assert payload == {
        "export_id": str(requested.export_id),
        "kind": "clinic_report",
        "user_id": str(admin.user.id),
        "clinic_id": str(practice.clinic.id),
        "first_day": "2031-03-01",
        "last_day": "2031-03-31",
    }

    arguments = {
        "export_id": requested.export_id,
        "kind": "clinic_report",
        "user_id": admin.user.id,
        "clinic_id": practice.clinic.id,
        "first_day": date(2031, 3, 1),
        "last_day": date(2031, 3, 31),
    }
    built = await build_export(db_session, storage, mailer, **arguments)
    again = await build_export(db_session, storage, mailer, **arguments)

    assert not built.reused
    assert again.reused
    assert again.file.id == built.file.id
    assert built.notices.sent == 2
    assert again.notices.sent == 0
    stored = storage.get(built.file.storage_key)
    rows = list(csv.reader(io.StringIO(stored.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_HEADER
    assert ["appointments", "2031-03-04", "completed", "", "1"] in rows
    file = built.file
    assert (file.owner_id, file.clinic_id, file.status) == (
        admin.user.id,
        practice.clinic.id,
        FileStatus.AVAILABLE,
    )
    assert file.filename == "report-2031-03-01-2031-03-31.csv"
    assert file.storage_key.startswith(f"exports/{admin.user.id}/{requested.export_id}/")
    [mail] = smtp.to(admin.user.email)
    body = plain(mail)
    assert built.link in body
    assert "24 hours" in body
    query = {k: v[0] for k, v in parse_qs(urlsplit(built.link).query).items()}
    verify(SIGNING_KEY, "GET", file.storage_key, query)  # a valid signed link to that file


async def test_an_owners_data_export_zips_their_pets_and_records(
    build: Builder,
    db_session: AsyncSession,
    mailer: Dispatcher,
    smtp: SmtpSink,
    storage: LocalStorage,
) -> None:
    practice = await make_practice(build)
    await build.add(
        Vaccination(
            pet_id=practice.pet.id,
            vaccine_name="Rabies",
            administered_at=datetime(2030, 6, 1, 14, tzinfo=UTC),
            next_due_on=date(2033, 6, 1),
        )
    )
    await build.appointment(
        vet=practice.vet,
        clinic=practice.clinic,
        pet=practice.pet,
        starts_at=datetime(2031, 3, 4, 15, tzinfo=UTC),
    )
    requested = await request_owner_export(db_session, practice.owner.actor)
    payload = await _job(db_session, requested.export_id)
    assert payload["kind"] == EXPORT_OWNER_DATA
    assert payload["clinic_id"] is None

    built = await build_export(
        db_session,
        storage,
        mailer,
        export_id=requested.export_id,
        kind=EXPORT_OWNER_DATA,
        user_id=practice.owner.user.id,
    )

    archive = zipfile.ZipFile(io.BytesIO(storage.get(built.file.storage_key)))
    assert sorted(archive.namelist()) == [
        "appointments.csv",
        "health_records.csv",
        "pets.csv",
        "prescriptions.csv",
        "vaccinations.csv",
        "weights.csv",
    ]
    pets = list(csv.DictReader(io.StringIO(archive.read("pets.csv").decode("utf-8-sig"))))
    assert [(p["name"], p["species"]) for p in pets] == [("Rex", "dog")]
    vaccinations = archive.read("vaccinations.csv").decode("utf-8-sig")
    assert "Rex,Rabies" in vaccinations
    assert "2033-06-01" in vaccinations
    appointments = archive.read("appointments.csv").decode("utf-8-sig")
    assert "Riverside Animal Hospital" in appointments
    assert "internal" not in appointments
    # The other owner's pet is not in it.
    assert practice.other_pet.id != practice.pet.id
    assert str(practice.other_pet.id) not in (archive.read("pets.csv").decode())
    [mail] = smtp.to(practice.owner.user.email)
    assert str(mail.message["Subject"]) == "Your data export is ready"
    assert built.file.content_type == "application/zip"
    files = (
        (
            await db_session.execute(
                select(FileObject).where(FileObject.owner_id == practice.owner.user.id)
            )
        )
        .scalars()
        .all()
    )
    assert [f.id for f in files] == [built.file.id]
