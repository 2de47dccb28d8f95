"""Uploading and downloading files that belong to a pet or a health record.

The flow, and why:

1. :func:`request_upload` checks the caller may write to the linked record and that the declared
   type and size are acceptable, records a *pending* :class:`FileObject` and returns a presigned
   PUT. The bytes go straight from the client to storage; the API never proxies them.
2. :func:`confirm_upload` trusts nothing the client said: it reads the stored object, sniffs its
   type from the bytes, checks its size and SHA-256 against the declaration, and only then marks
   the file *available* (and queues image processing). A refused upload is deleted from storage.
3. :func:`download_url` hands a short-lived presigned GET to the owner of the linked record or to
   staff of its clinic; everyone else is told the file does not exist.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import NoReturn

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import BusinessRuleException, NotFoundException, ValidationException
from vet_core.models.base import uuid7
from vet_core.models.clinical import HealthRecord
from vet_core.models.enums import FileStatus
from vet_core.models.files import FileObject
from vet_core.models.pets import Pet, PetOwnership
from vet_core.models.scheduling import Appointment
from vet_services.auth.permissions import Action, Actor, Resource, authorize
from vet_services.outbox import enqueue
from vet_services.storage import ObjectStorage, PresignedRequest
from vet_services.storage.sniff import (
    PROCESSABLE_IMAGES,
    SNIFF_BYTES,
    check_size,
    normalise_content_type,
    resolve_content_type,
)

PROCESS_IMAGE_TOPIC = "files.process_image"
DEFAULT_EXPIRES_IN = 600
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")

#: Which action reading / writing a file linked to each kind of record needs.
_READ_ACTION = {"pet": Action.PET_READ, "health_record": Action.CLINICAL_READ}
_WRITE_ACTION = {"pet": Action.PET_WRITE, "health_record": Action.CLINICAL_WRITE}


@dataclass(frozen=True, slots=True)
class UploadTicket:
    """The pending file's id and the one request that uploads its bytes."""

    file_id: uuid.UUID
    storage_key: str
    upload: PresignedRequest


def _expiry(expires_in: int) -> int:
    if not 60 <= expires_in <= 900:
        raise ValidationException(
            "expires_in must be 60 to 900 seconds", details={"field": "expires_in"}
        )
    return expires_in


async def _pet_resource(session: AsyncSession, pet_id: uuid.UUID, kind: str) -> Resource:
    """A pet's current owners and every clinic that has treated it."""
    pet_owner = (
        await session.execute(select(Pet.owner_id).where(Pet.id == pet_id, Pet.not_deleted()))
    ).scalar_one_or_none()
    if pet_owner is None:
        raise NotFoundException(
            f"{kind.replace('_', ' ').capitalize()} not found", code=f"{kind.upper()}_NOT_FOUND"
        )
    owners = set(
        (
            await session.execute(
                select(PetOwnership.user_id).where(
                    PetOwnership.pet_id == pet_id, PetOwnership.ended_at.is_(None)
                )
            )
        ).scalars()
    )
    clinics = set(
        (
            await session.execute(
                select(Appointment.clinic_id)
                .where(Appointment.pet_id == pet_id, Appointment.not_deleted())
                .distinct()
            )
        ).scalars()
    )
    return Resource.of(kind, pet_id, owners=owners | {pet_owner}, clinics=clinics)


async def linked_resource(
    session: AsyncSession, entity_type: str | None, entity_id: uuid.UUID | None
) -> Resource:
    """Who owns the record a file is linked to, and which clinic holds it."""
    if entity_type == "pet" and entity_id is not None:
        return await _pet_resource(session, entity_id, "pet")
    if entity_type == "health_record" and entity_id is not None:
        record = (
            await session.execute(
                select(HealthRecord.pet_id, HealthRecord.clinic_id).where(
                    HealthRecord.id == entity_id, HealthRecord.not_deleted()
                )
            )
        ).one_or_none()
        if record is None:
            raise NotFoundException("Health record not found", code="HEALTH_RECORD_NOT_FOUND")
        pet = await _pet_resource(session, record.pet_id, "health_record")
        return Resource.of(
            "health_record", entity_id, owners=pet.owner_ids, clinics=[record.clinic_id]
        )
    raise ValidationException(
        "Files can be attached to a pet or a health record",
        code="UNSUPPORTED_FILE_LINK",
        details={"entity_type": entity_type},
    )


def _safe_filename(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())[:255]
    if not name or name in {".", ".."}:
        raise ValidationException("A file name is required", details={"field": "filename"})
    return name


async def request_upload(
    session: AsyncSession,
    actor: Actor,
    storage: ObjectStorage,
    *,
    entity_type: str,
    entity_id: uuid.UUID,
    filename: str,
    content_type: str,
    size_bytes: int,
    checksum_sha256: str,
    expires_in: int = DEFAULT_EXPIRES_IN,
) -> UploadTicket:
    """Record a pending file linked to a record and return the presigned upload for it."""
    resource = await linked_resource(session, entity_type, entity_id)
    authorize(actor, _WRITE_ACTION[entity_type], resource)
    declared = normalise_content_type(content_type)
    check_size(declared, size_bytes)
    checksum = checksum_sha256.strip().lower()
    if not _HEX_SHA256.fullmatch(checksum):
        raise ValidationException(
            "checksum_sha256 must be 64 hexadecimal digits", details={"field": "checksum_sha256"}
        )
    file_id = uuid7()
    key = f"{entity_type}/{entity_id}/{file_id}"
    clinic_id = next(iter(resource.clinic_ids)) if entity_type == "health_record" else None
    session.add(
        FileObject(
            id=file_id,
            storage_key=key,
            bucket=storage.bucket,
            filename=_safe_filename(filename),
            content_type=declared,
            size_bytes=size_bytes,
            checksum_sha256=checksum,
            status=FileStatus.PENDING,
            owner_id=actor.user_id,
            clinic_id=clinic_id,
            entity_type=entity_type,
            entity_id=entity_id,
            created_by=actor.user_id,
        )
    )
    await session.flush()
    upload = await asyncio.to_thread(
        storage.presign_put,
        key,
        content_type=declared,
        content_length=size_bytes,
        checksum_sha256_b64=base64.b64encode(binascii.unhexlify(checksum)).decode(),
        expires_in=_expiry(expires_in),
    )
    return UploadTicket(file_id=file_id, storage_key=key, upload=upload)


def _digest_and_head(storage: ObjectStorage, key: str) -> tuple[str, bytes, int]:
    """SHA-256 (hex), the first :data:`SNIFF_BYTES` and the length of a stored object."""
    digest = hashlib.sha256()
    head = b""
    length = 0
    for chunk in storage.iter_bytes(key):
        digest.update(chunk)
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
        length += len(chunk)
    return digest.hexdigest(), head, length


async def _refuse(storage: ObjectStorage, key: str, error: ValidationException) -> NoReturn:
    await asyncio.to_thread(storage.delete, key)
    raise error


async def confirm_upload(
    session: AsyncSession, actor: Actor, storage: ObjectStorage, file_id: uuid.UUID
) -> FileObject:
    """Verify the uploaded bytes of a pending file and make it available (see module doc)."""
    file = (
        await session.execute(
            select(FileObject)
            .where(FileObject.id == file_id, FileObject.not_deleted())
            .with_for_update()
        )
    ).scalar_one_or_none()
    if file is None or file.owner_id is None or file.owner_id != actor.user_id:
        raise NotFoundException("File not found", code="FILE_NOT_FOUND")
    if file.status is FileStatus.AVAILABLE:
        return file
    head = await asyncio.to_thread(storage.head, file.storage_key)
    if head is None:
        raise BusinessRuleException(
            "Nothing has been uploaded for this file yet", code="FILE_NOT_UPLOADED"
        )
    try:
        check_size(file.content_type, head.size)
    except ValidationException as error:
        await _refuse(storage, file.storage_key, error)
    if head.size != file.size_bytes:
        await _refuse(
            storage,
            file.storage_key,
            BusinessRuleException(
                "The uploaded size differs from the declared one",
                code="FILE_SIZE_MISMATCH",
                details={"declared": file.size_bytes, "uploaded": head.size},
            ),
        )
    checksum, first_bytes, length = await asyncio.to_thread(
        _digest_and_head, storage, file.storage_key
    )
    try:
        content_type = resolve_content_type(file.content_type, first_bytes)
    except ValidationException as error:
        await _refuse(storage, file.storage_key, error)
    if checksum != file.checksum_sha256 or length != file.size_bytes:
        await _refuse(
            storage,
            file.storage_key,
            BusinessRuleException(
                "The uploaded file's checksum differs from the declared one",
                code="FILE_CHECKSUM_MISMATCH",
            ),
        )
    file.content_type = content_type
    file.status = FileStatus.AVAILABLE
    file.updated_by = actor.user_id
    await session.flush()
    if content_type in PROCESSABLE_IMAGES:
        await enqueue(
            session,
            PROCESS_IMAGE_TOPIC,
            {"file_id": str(file.id)},
            dedup_key=f"{PROCESS_IMAGE_TOPIC}:{file.id}",
        )
    return file


async def download_url(
    session: AsyncSession,
    actor: Actor,
    storage: ObjectStorage,
    file_id: uuid.UUID,
    *,
    thumbnail: int | None = None,
    expires_in: int = DEFAULT_EXPIRES_IN,
) -> PresignedRequest:
    """A short-lived GET for an available file (or one of its thumbnails).

    Allowed to the owners of the linked record and to staff of its clinic with the right to
    read it; anyone else gets ``FILE_NOT_FOUND``, exactly as for a file that does not exist.
    """
    from vet_services.storage.images import THUMBNAIL_SIZES, thumbnail_key

    file = (
        await session.execute(
            select(FileObject).where(
                FileObject.id == file_id,
                FileObject.not_deleted(),
                FileObject.status == FileStatus.AVAILABLE,
            )
        )
    ).scalar_one_or_none()
    if file is None:
        raise NotFoundException("File not found", code="FILE_NOT_FOUND")
    if file.entity_type is None:
        if file.owner_id is None or file.owner_id != actor.user_id:
            raise NotFoundException("File not found", code="FILE_NOT_FOUND")
    else:
        try:
            resource = await linked_resource(session, file.entity_type, file.entity_id)
            authorize(actor, _READ_ACTION[file.entity_type], resource)
        except NotFoundException:
            raise NotFoundException("File not found", code="FILE_NOT_FOUND") from None
    key, name = file.storage_key, file.filename
    if thumbnail is not None:
        if thumbnail not in THUMBNAIL_SIZES or file.content_type not in PROCESSABLE_IMAGES:
            raise NotFoundException("Thumbnail not found", code="FILE_NOT_FOUND")
        key, name = thumbnail_key(file.storage_key, thumbnail), f"{thumbnail}-{file.filename}"
    return await asyncio.to_thread(
        storage.presign_get, key, expires_in=_expiry(expires_in), download_name=name
    )


__all__ = [
    "DEFAULT_EXPIRES_IN",
    "PROCESS_IMAGE_TOPIC",
    "UploadTicket",
    "confirm_upload",
    "download_url",
    "linked_resource",
    "request_upload",
]
