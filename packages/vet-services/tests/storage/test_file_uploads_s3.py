"""Uploads and downloads through presigned URLs against S3 on loopback (moto server)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from storage_builders import PetCase, jpeg_with_gps, pdf_bytes, png_bytes, sha256_hex

from vet_core.exceptions import NotFoundException, PermissionDeniedException, ValidationException
from vet_core.models.enums import FileStatus
from vet_core.models.outbox import OutboxEvent
from vet_core.utils.time import utcnow
from vet_services.storage.s3 import S3Storage
from vet_services.storage.service import (
    PROCESS_IMAGE_TOPIC,
    UploadTicket,
    confirm_upload,
    download_url,
    request_upload,
)


async def upload_pdf(
    session: AsyncSession, storage: S3Storage, case: PetCase, data: bytes | None = None
) -> tuple[UploadTicket, bytes]:
    data = data if data is not None else pdf_bytes()
    ticket = await request_upload(
        session,
        case.vet,
        storage,
        entity_type="health_record",
        entity_id=case.record.id,
        filename="../../bloodwork.pdf",
        content_type="application/pdf",
        size_bytes=len(data),
        checksum_sha256=sha256_hex(data),
    )
    return ticket, data


async def put(ticket: UploadTicket, body: bytes) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.put(
            ticket.upload.url, content=body, headers=dict(ticket.upload.headers)
        )


async def fetch(url: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(url)


async def test_presigned_upload_then_confirm_then_download(
    db_session: AsyncSession, s3_storage: S3Storage, case: PetCase
) -> None:
    ticket, data = await upload_pdf(db_session, s3_storage, case)
    assert ticket.upload.method == "PUT"
    assert "X-Amz-Signature" in ticket.upload.url
    assert (await put(ticket, data)).status_code == 200

    file = await confirm_upload(db_session, case.vet, s3_storage, ticket.file_id)

    assert file.status is FileStatus.AVAILABLE
    assert file.filename == "bloodwork.pdf"
    assert file.clinic_id == case.clinic.id
    link = await download_url(db_session, case.owner, s3_storage, file.id)
    response = await fetch(link.url)
    assert response.status_code == 200
    assert response.content == data
    assert "bloodwork.pdf" in response.headers["content-disposition"]
    # Documents are not images: no processing job.
    topics = (await db_session.execute(select(OutboxEvent.topic))).scalars().all()
    assert PROCESS_IMAGE_TOPIC not in topics


async def test_the_presigned_put_signs_type_length_and_checksum(
    db_session: AsyncSession, s3_storage: S3Storage, case: PetCase
) -> None:
    ticket, data = await upload_pdf(db_session, s3_storage, case)
    signed = parse_qs(urlsplit(ticket.upload.url).query)["X-Amz-SignedHeaders"][0].split(";")

    assert {"content-type", "content-length", "x-amz-checksum-sha256"} <= set(signed)
    assert 0 < (ticket.upload.expires_at - utcnow()).total_seconds() <= 600
    # AWS rejects a body whose SHA-256 differs from the signed header; moto does not, so the
    # confirm step is what refuses it here (and with any store that skips the check).
    await put(ticket, data.replace(b"Count 0", b"Count 9"))
    with pytest.raises(ValidationException) as raised:
        await confirm_upload(db_session, case.vet, s3_storage, ticket.file_id)
    assert raised.value.code == "FILE_CHECKSUM_MISMATCH"
    assert s3_storage.head(ticket.storage_key) is None


async def test_a_png_uploaded_as_a_pdf_is_refused_and_deleted(
    db_session: AsyncSession, s3_storage: S3Storage, case: PetCase
) -> None:
    ticket, data = await upload_pdf(db_session, s3_storage, case, data=png_bytes())
    assert (await put(ticket, data)).status_code == 200

    with pytest.raises(ValidationException) as raised:
        await confirm_upload(db_session, case.vet, s3_storage, ticket.file_id)

    assert raised.value.code == "FILE_TYPE_MISMATCH"
    assert s3_storage.head(ticket.storage_key) is None


async def test_checksum_mismatch_is_refused(
    db_session: AsyncSession, s3_storage: S3Storage, case: PetCase
) -> None:
    ticket, data = await upload_pdf(db_session, s3_storage, case)
    # Bypass the presigned URL (a store that does not verify checksums): same size, other bytes.
    s3_storage.put(ticket.storage_key, data[:-2] + b"X\n", content_type="application/pdf")

    with pytest.raises(ValidationException) as raised:
        await confirm_upload(db_session, case.vet, s3_storage, ticket.file_id)

    assert raised.value.code == "FILE_CHECKSUM_MISMATCH"
    assert s3_storage.head(ticket.storage_key) is None


async def test_a_larger_object_than_declared_is_refused(
    db_session: AsyncSession, s3_storage: S3Storage, case: PetCase
) -> None:
    ticket, data = await upload_pdf(db_session, s3_storage, case)
    s3_storage.put(ticket.storage_key, data + b"% padding\n", content_type="application/pdf")

    with pytest.raises(ValidationException) as raised:
        await confirm_upload(db_session, case.vet, s3_storage, ticket.file_id)

    assert raised.value.code == "FILE_SIZE_MISMATCH"


async def test_oversized_or_unsupported_declarations_are_refused_up_front(
    db_session: AsyncSession, s3_storage: S3Storage, case: PetCase
) -> None:
    common = {"entity_type": "pet", "entity_id": case.pet.id, "checksum_sha256": "0" * 64}
    with pytest.raises(ValidationException) as too_large:
        await request_upload(
            db_session,
            case.owner,
            s3_storage,
            filename="huge.jpg",
            content_type="image/jpeg",
            size_bytes=26 * 1024 * 1024,
            **common,  # type: ignore[arg-type]
        )
    assert too_large.value.code == "FILE_TOO_LARGE"
    with pytest.raises(ValidationException) as unsupported:
        await request_upload(
            db_session,
            case.owner,
            s3_storage,
            filename="setup.exe",
            content_type="application/x-msdownload",
            size_bytes=100,
            **common,  # type: ignore[arg-type]
        )
    assert unsupported.value.code == "UNSUPPORTED_FILE_TYPE"


async def test_confirming_before_uploading_says_so(
    db_session: AsyncSession, s3_storage: S3Storage, case: PetCase
) -> None:
    ticket, _ = await upload_pdf(db_session, s3_storage, case)

    with pytest.raises(ValidationException) as raised:
        await confirm_upload(db_session, case.vet, s3_storage, ticket.file_id)

    assert raised.value.code == "FILE_NOT_UPLOADED"


async def test_an_uploaded_image_queues_processing(
    db_session: AsyncSession, s3_storage: S3Storage, case: PetCase
) -> None:
    data = jpeg_with_gps((32, 24))
    ticket = await request_upload(
        db_session,
        case.owner,
        s3_storage,
        entity_type="pet",
        entity_id=case.pet.id,
        filename="pepper.jpg",
        content_type="image/jpeg",
        size_bytes=len(data),
        checksum_sha256=sha256_hex(data),
    )
    assert (await put(ticket, data)).status_code == 200

    await confirm_upload(db_session, case.owner, s3_storage, ticket.file_id)

    events = (
        (
            await db_session.execute(
                select(OutboxEvent).where(OutboxEvent.topic == PROCESS_IMAGE_TOPIC)
            )
        )
        .scalars()
        .all()
    )
    assert [event.payload for event in events] == [{"file_id": str(ticket.file_id)}]


async def test_only_owners_and_clinic_staff_get_download_urls(
    db_session: AsyncSession, s3_storage: S3Storage, case: PetCase
) -> None:
    ticket, data = await upload_pdf(db_session, s3_storage, case)
    await put(ticket, data)
    await confirm_upload(db_session, case.vet, s3_storage, ticket.file_id)

    for allowed in (case.owner, case.vet):
        link = await download_url(db_session, allowed, s3_storage, ticket.file_id)
        assert (await fetch(link.url)).content == data
    for outsider in (case.stranger, case.other_clinic_vet):
        with pytest.raises(NotFoundException) as raised:
            await download_url(db_session, outsider, s3_storage, ticket.file_id)
        assert raised.value.code == "FILE_NOT_FOUND"
    # A receptionist sees the pet but may not read clinical documents.
    with pytest.raises(PermissionDeniedException):
        await download_url(db_session, case.receptionist, s3_storage, ticket.file_id)


async def test_strangers_cannot_upload_to_someone_elses_pet(
    db_session: AsyncSession, s3_storage: S3Storage, case: PetCase
) -> None:
    with pytest.raises(NotFoundException):
        await request_upload(
            db_session,
            case.stranger,
            s3_storage,
            entity_type="pet",
            entity_id=case.pet.id,
            filename="x.png",
            content_type="image/png",
            size_bytes=10,
            checksum_sha256="0" * 64,
        )


async def test_pending_files_have_no_download_url(
    db_session: AsyncSession, s3_storage: S3Storage, case: PetCase
) -> None:
    ticket, _ = await upload_pdf(db_session, s3_storage, case)

    with pytest.raises(NotFoundException):
        await download_url(db_session, case.owner, s3_storage, ticket.file_id)
