"""The periodic tasks (no-shows, the 8 a.m. digest), exports and image processing in a real
worker, with files in a local storage folder: each effect once, however often the job runs."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from followup_seed import appointment, jpeg_with_gps, practice
from PIL import Image
from sqlalchemy import select
from support import SmtpInbox, start_worker
from task_checks import body_of, mails_to, send_twice

from vet_clinic_jobs.celery_app import app
from vet_core.database import SessionFactory
from vet_core.models import Appointment, ClinicMembership, FileObject
from vet_core.models.enums import AppointmentStatus, FileStatus, StaffRole
from vet_core.models.outbox import OutboxEvent
from vet_core.utils.time import to_zone
from vet_services.auth.actor import load_actor
from vet_services.reports import EXPORT_TOPIC, request_export
from vet_services.storage.images import THUMBNAIL_SIZES, thumbnail_key

BUCKET = "vet-files"


def storage_environment(base: dict[str, str], root: Path) -> dict[str, str]:
    return {
        **base,
        "STORAGE_BACKEND": "local",
        "STORAGE_LOCAL_ROOT": str(root),
        "STORAGE_BUCKET": BUCKET,
        "STORAGE_LOCAL_SIGNING_KEY": "jobs-test-signing-key",
    }


def zone_at_eight(now: datetime) -> str:
    """A fixed-offset IANA zone whose wall clock shows 8 o'clock at ``now``."""
    offset = (8 - now.hour) % 24
    if offset > 14:
        offset -= 24
    if offset == 0:
        return "Etc/GMT"
    # POSIX-style names: Etc/GMT-3 is three hours *ahead* of UTC.
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def test_the_new_periodic_tasks_are_scheduled_on_their_queues() -> None:
    schedule = {spec["task"]: spec for spec in app.conf.beat_schedule.values()}
    assert {"maintenance.mark_no_shows", "reports.daily_digest"} <= set(schedule)
    hourly = schedule["reports.daily_digest"]["schedule"]
    assert hourly.minute == {0}
    assert len(hourly.hour) == 24


async def test_no_shows_and_the_digest_at_the_clinics_eight_oclock(
    committed_session_factory: SessionFactory,
    worker_environment: dict[str, str],
    client_app: Any,
    inbox: SmtpInbox,
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    if now.minute == 59 and now.second > 30:  # keep clear of the hour's edge
        await asyncio.sleep(65 - now.second)
        now = datetime.now(UTC)
    async with committed_session_factory() as session, session.begin():
        at = await practice(session, timezone=zone_at_eight(now))
        overdue = await appointment(session, at, now - timedelta(hours=3))
        today = await appointment(session, at, now + timedelta(minutes=30))
    local_day = to_zone(now, at.clinic.timezone).date()
    assert to_zone(today.starts_at, at.clinic.timezone).date() == local_day

    worker = start_worker(worker_environment, tmp_path)
    try:
        send_twice(client_app, worker, "maintenance.mark_no_shows", "no-shows-1")
        send_twice(client_app, worker, "reports.daily_digest", "digest-1")
    finally:
        worker.stop()

    async with committed_session_factory() as session:
        assert (await session.get_one(Appointment, overdue.id)).status is AppointmentStatus.NO_SHOW
        assert (await session.get_one(Appointment, today.id)).status is AppointmentStatus.SCHEDULED
    for staff in (at.vet_user, at.receptionist):
        [mail] = mails_to(inbox, staff.email)
        # The no-show is on today's list too (not cancelled): two appointments.
        assert str(mail["Subject"]) == "Riverside Animal Hospital today: 2 appointments"
        assert "Rex (dog), wellness exam" in body_of(mail)
    assert mails_to(inbox, at.owner.email) == []


async def test_an_export_is_stored_and_its_link_mailed_once(
    committed_session_factory: SessionFactory,
    worker_environment: dict[str, str],
    client_app: Any,
    inbox: SmtpInbox,
    tmp_path: Path,
) -> None:
    root = tmp_path / "storage"
    async with committed_session_factory() as session, session.begin():
        at = await practice(session)
        # The owner also runs the clinic: the admin who asks for the report.
        session.add(
            ClinicMembership(
                clinic_id=at.clinic.id, user_id=at.owner.id, role=StaffRole.CLINIC_ADMIN
            )
        )
        await session.flush()
        await appointment(
            session,
            at,
            datetime(2031, 3, 4, 15, tzinfo=UTC),
            status=AppointmentStatus.NO_SHOW,
        )
        requested = await request_export(
            session,
            await load_actor(session, at.owner),
            at.clinic.id,
            first_day=date(2031, 3, 1),
            last_day=date(2031, 3, 31),
        )
    async with committed_session_factory() as session:
        payload = (
            await session.execute(
                select(OutboxEvent.payload).where(
                    OutboxEvent.dedup_key == f"{EXPORT_TOPIC}:{requested.export_id}"
                )
            )
        ).scalar_one()

    worker = start_worker(storage_environment(worker_environment, root), tmp_path)
    try:
        send_twice(client_app, worker, EXPORT_TOPIC, "export-1", **payload)
    finally:
        worker.stop()

    async with committed_session_factory() as session:
        [file] = (
            (await session.execute(select(FileObject).where(FileObject.owner_id == at.owner.id)))
            .scalars()
            .all()
        )
    stored = root / BUCKET / file.storage_key
    text = stored.read_bytes().decode("utf-8-sig")
    assert text.startswith("section,day,status,currency,value")
    assert "appointments,2031-03-04,no_show,,1" in text
    [mail] = mails_to(inbox, at.owner.email)
    assert str(mail["Subject"]) == "Your report for Riverside Animal Hospital is ready"
    assert f"/{file.storage_key}?" in body_of(mail).replace("%2F", "/")


async def test_an_uploaded_photo_is_cleaned_and_gets_thumbnails(
    committed_session_factory: SessionFactory,
    worker_environment: dict[str, str],
    client_app: Any,
    tmp_path: Path,
) -> None:
    root = tmp_path / "storage"
    original = jpeg_with_gps((1600, 1200), orientation=6)
    async with committed_session_factory() as session, session.begin():
        at = await practice(session)
        file = FileObject(
            storage_key=f"pets/{at.pet.id}/photo.jpg",
            bucket=BUCKET,
            filename="photo.jpg",
            content_type="image/jpeg",
            size_bytes=len(original),
            status=FileStatus.AVAILABLE,
            owner_id=at.owner.id,
            entity_type="pet",
            entity_id=at.pet.id,
        )
        session.add(file)
    path = root / BUCKET / file.storage_key
    path.parent.mkdir(parents=True)
    path.write_bytes(original)

    worker = start_worker(storage_environment(worker_environment, root), tmp_path)
    try:
        send_twice(client_app, worker, "files.process_image", "image-1", file_id=str(file.id))
    finally:
        worker.stop()

    with Image.open(io.BytesIO(path.read_bytes())) as cleaned:
        assert len(cleaned.getexif()) == 0
        assert cleaned.size == (1200, 1600)  # the EXIF orientation was applied to the pixels
    assert b"PhoneMaker" not in path.read_bytes()
    for size in THUMBNAIL_SIZES:
        with Image.open(root / BUCKET / thumbnail_key(file.storage_key, size)) as thumb:
            assert max(thumb.size) == size
            assert thumb.format == "JPEG"
    async with committed_session_factory() as session:
        stored = await session.get_one(FileObject, file.id)
        assert stored.size_bytes == len(path.read_bytes())
