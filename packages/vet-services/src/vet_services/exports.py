"""Exports built in the background: a clinic's report as CSV, a pet owner's data as a ZIP.

:func:`vet_services.reports.request_export` (and :func:`request_owner_export`) check who asks and
write a ``reports.export`` job to the outbox; the worker then calls :func:`build_export`, which

1. checks again that the requester may still read what they asked for (access may have ended
   since the request), as the requester, through the same services the API uses;
2. builds the file (:func:`vet_services.reports.report_csv_bytes` for a clinic report; one CSV
   per kind of record, zipped, for an owner's data);
3. stores it through the storage backend (S3 or the local folder, by ``STORAGE_*``) under a key
   derived from the export id, and records it as a file owned by the requester (so the API's
   ``GET /files/{id}`` gives them a fresh link later);
4. sends them a signed download link (``export_ready``), keyed on the export id.

A redelivered job finds its file recorded already and only re-sends the notice, which the
dispatcher recognises as sent: one file, one message.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import NotFoundException, SchemaValidationException
from vet_core.models import (
    Appointment,
    Clinic,
    FileObject,
    HealthRecord,
    Pet,
    PetOwnership,
    Prescription,
    User,
    Vaccination,
    WeightRecord,
)
from vet_core.models.enums import FileStatus, NotificationCategory
from vet_core.utils.time import utcnow
from vet_services.auth.actor import load_actor
from vet_services.notifications.dispatcher import Dispatcher, Notice
from vet_services.notifications.followup import FollowUpReport, defer_job, notify_users
from vet_services.reports import (
    EXPORT_CLINIC_REPORT,
    EXPORT_OWNER_DATA,
    EXPORT_TOPIC,
    clinic_report,
    export_payload,
    report_csv_bytes,
)
from vet_services.storage import ObjectStorage

EXPORT_TEMPLATE = "export_ready"
#: How long the e-mailed link works. Longer than an API link (the mail may be read hours
#: later) and well inside S3's seven-day limit; ``GET /files/{id}`` gives a fresh one after.
DEFAULT_LINK_SECONDS = 24 * 3600
MAX_LINK_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class BuiltExport:
    """The stored export and what its requester was told."""

    file: FileObject
    link: str
    expires_at: datetime
    notices: FollowUpReport
    reused: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "file_id": str(self.file.id),
            "storage_key": self.file.storage_key,
            "size_bytes": self.file.size_bytes,
            "reused": self.reused,
            **self.notices.as_dict(),
        }


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else _cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _cell(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def export_key(user_id: uuid.UUID, export_id: uuid.UUID, filename: str) -> str:
    """Where an export is stored: one folder per requester and export."""
    return f"exports/{user_id}/{export_id}/{filename}"


async def owner_data_zip(session: AsyncSession, user: User) -> bytes:
    """The pets ``user`` owns now and their records, one CSV per kind, in a ZIP.

    Only what the owner may read through the API is included: the clinic's internal
    appointment notes are not.
    """
    pets = list(
        (
            await session.execute(
                select(Pet)
                .join(PetOwnership, PetOwnership.pet_id == Pet.id)
                .where(
                    PetOwnership.user_id == user.id,
                    PetOwnership.ended_at.is_(None),
                    Pet.deleted_at.is_(None),
                )
                .order_by(Pet.name, Pet.id)
            )
        )
        .scalars()
        .unique()
    )
    pet_ids = [pet.id for pet in pets]
    names = {pet.id: pet.name for pet in pets}

    async def rows_of(model: Any, *order: Any) -> list[Any]:
        query = select(model).where(model.pet_id.in_(pet_ids)).order_by(*order)
        if hasattr(model, "deleted_at"):
            query = query.where(model.deleted_at.is_(None))
        return list((await session.execute(query)).scalars())

    files: dict[str, bytes] = {
        "pets.csv": _csv(
            (
                "pet_id",
                "name",
                "species",
                "breed",
                "sex",
                "neutered",
                "birth_date",
                "color",
                "microchip",
                "status",
                "deceased_on",
                "allergies",
                "notes",
            ),
            (
                (
                    p.id,
                    p.name,
                    p.species,
                    p.breed,
                    p.sex,
                    p.is_neutered,
                    p.birth_date,
                    p.color,
                    p.microchip,
                    p.status,
                    p.deceased_on,
                    p.allergies,
                    p.notes,
                )
                for p in pets
            ),
        ),
        "vaccinations.csv": _csv(
            ("pet", "vaccine", "manufacturer", "lot", "administered_at", "next_due_on", "notes"),
            (
                (
                    names[v.pet_id],
                    v.vaccine_name,
                    v.manufacturer,
                    v.lot_number,
                    v.administered_at,
                    v.next_due_on,
                    v.notes,
                )
                for v in await rows_of(Vaccination, Vaccination.administered_at, Vaccination.id)
            ),
        ),
        "health_records.csv": _csv(
            ("pet", "type", "title", "occurred_at", "follow_up_on", "notes"),
            (
                (names[r.pet_id], r.record_type, r.title, r.occurred_at, r.follow_up_on, r.notes)
                for r in await rows_of(HealthRecord, HealthRecord.occurred_at, HealthRecord.id)
            ),
        ),
        "prescriptions.csv": _csv(
            (
                "pet",
                "medication",
                "dosage",
                "frequency",
                "route",
                "prescribed_at",
                "valid_until",
                "discontinued_at",
                "instructions",
            ),
            (
                (
                    names[r.pet_id],
                    r.medication_name,
                    r.dosage,
                    r.frequency,
                    r.route,
                    r.prescribed_at,
                    r.valid_until,
                    r.discontinued_at,
                    r.instructions,
                )
                for r in await rows_of(Prescription, Prescription.prescribed_at, Prescription.id)
            ),
        ),
        "weights.csv": _csv(
            ("pet", "weight_kg", "measured_at", "note"),
            (
                (names[w.pet_id], w.weight_kg, w.measured_at, w.note)
                for w in await rows_of(WeightRecord, WeightRecord.measured_at, WeightRecord.id)
            ),
        ),
    }
    appointments = (
        await session.execute(
            select(Appointment, Clinic.name)
            .join(Clinic, Clinic.id == Appointment.clinic_id)
            .where(Appointment.pet_id.in_(pet_ids), Appointment.deleted_at.is_(None))
            .order_by(Appointment.starts_at, Appointment.id)
        )
    ).all()
    files["appointments.csv"] = _csv(
        ("pet", "clinic", "starts_at", "ends_at", "service", "status", "reason", "notes"),
        (
            (
                names[a.pet_id],
                clinic_name,
                a.starts_at,
                a.ends_at,
                a.service_type,
                a.status,
                a.reason,
                a.notes,
            )
            for a, clinic_name in appointments
        ),
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _describe(
    kind: str, clinic: Clinic | None, first_day: date | None, last_day: date | None
) -> dict[str, Any]:
    """What the notice says about the export (the template's ``title`` picks the wording)."""
    if kind == EXPORT_CLINIC_REPORT:
        if clinic is None or first_day is None or last_day is None:
            raise SchemaValidationException(
                "a clinic report needs clinic_id, first_day and last_day",
                details={"field": "clinic_id"},
            )
        return {
            "title": kind,
            "clinic_name": clinic.name,
            "first_day": first_day.isoformat(),
            "last_day": last_day.isoformat(),
        }
    if kind == EXPORT_OWNER_DATA:
        return {"title": kind}
    raise SchemaValidationException(f"unknown export kind {kind!r}", details={"field": "kind"})


async def _build_file(
    session: AsyncSession,
    requester: User,
    *,
    kind: str,
    clinic_id: uuid.UUID | None,
    first_day: date | None,
    last_day: date | None,
) -> tuple[str, str, bytes]:
    """``(filename, content type, bytes)`` of one export, built as ``requester``."""
    actor = await load_actor(session, requester)
    if kind == EXPORT_CLINIC_REPORT and clinic_id and first_day and last_day:
        report = await clinic_report(
            session, actor, clinic_id, first_day=first_day, last_day=last_day
        )
        filename = f"report-{first_day.isoformat()}-{last_day.isoformat()}.csv"
        return filename, "text/csv", report_csv_bytes(report)
    data = await owner_data_zip(session, requester)
    return f"my-pets-{utcnow().date().isoformat()}.zip", "application/zip", data


async def build_export(
    session: AsyncSession,
    storage: ObjectStorage,
    dispatcher: Dispatcher,
    *,
    export_id: uuid.UUID,
    kind: str,
    user_id: uuid.UUID,
    clinic_id: uuid.UUID | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
    link_seconds: int = DEFAULT_LINK_SECONDS,
    now: datetime | None = None,
) -> BuiltExport:
    """Build, store and announce export ``export_id`` (see the module docstring)."""
    if not 60 <= link_seconds <= MAX_LINK_SECONDS:
        raise SchemaValidationException(
            f"link_seconds must be 60 to {MAX_LINK_SECONDS}", details={"field": "link_seconds"}
        )
    now = now or utcnow()
    requester = await session.get(User, user_id)
    if requester is None or requester.deleted_at is not None:
        raise NotFoundException("User not found", code="USER_NOT_FOUND")
    clinic = await session.get(Clinic, clinic_id) if clinic_id is not None else None
    described = _describe(kind, clinic, first_day, last_day)
    existing = (
        await session.execute(
            select(FileObject)
            .where(
                FileObject.storage_key.startswith(
                    export_key(user_id, export_id, ""), autoescape=True
                )
            )
            .with_for_update()
        )
    ).scalar_one_or_none()
    file = existing
    if file is None:
        filename, content_type, data = await _build_file(
            session,
            requester,
            kind=kind,
            clinic_id=clinic_id,
            first_day=first_day,
            last_day=last_day,
        )
        key = export_key(user_id, export_id, filename)
        await asyncio.to_thread(storage.put, key, data, content_type=content_type)
        file = FileObject(
            storage_key=key,
            bucket=storage.bucket,
            filename=filename,
            content_type=content_type,
            size_bytes=len(data),
            checksum_sha256=hashlib.sha256(data).hexdigest(),
            status=FileStatus.AVAILABLE,
            owner_id=user_id,
            clinic_id=clinic_id,
            created_by=user_id,
            updated_by=user_id,
        )
        session.add(file)
        await session.flush()
    signed = await asyncio.to_thread(
        storage.presign_get, file.storage_key, expires_in=link_seconds, download_name=file.filename
    )
    context = {
        **described,
        "filename": file.filename,
        "link": signed.url,
        "link_hours": max(1, round(link_seconds / 3600)),
    }
    file_id = file.id
    key = f"export:{export_id}"
    report = await notify_users(
        session,
        dispatcher,
        [requester],
        lambda user: Notice(
            template=EXPORT_TEMPLATE,
            context={**context, "recipient_name": user.first_name},
            category=NotificationCategory.SYSTEM,
            data={"file_id": str(file_id), "export_id": str(export_id)},
        ),
        key=key,
        now=now,
        fallback_timezone=clinic.timezone if clinic else None,
    )
    payload = export_payload(
        export_id=export_id,
        kind=kind,
        user_id=user_id,
        clinic_id=clinic_id,
        first_day=first_day,
        last_day=last_day,
    )
    await defer_job(session, EXPORT_TOPIC, payload, report, key=key)
    return BuiltExport(file, signed.url, signed.expires_at, report, existing is not None)


__all__ = [
    "DEFAULT_LINK_SECONDS",
    "EXPORT_TEMPLATE",
    "BuiltExport",
    "build_export",
    "export_key",
    "owner_data_zip",
]
