"""``/files``: presigned uploads and short-lived download links for files of pets and records.

The bytes never pass through these routes with the S3 backend: the client PUTs them to the
presigned URL, then confirms. With the local-folder backend (development, tests) the "presigned"
URLs point at ``/storage/local/{key}``, served here and verified by the storage service.

The storage backend is built on first use from the ``STORAGE_*`` settings and kept on
``app.state`` (never at import time); tests put their own :class:`StorageSettings` in
``app.state.storage_settings`` before the first request.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from vet_clinic_api.deps import ActorDep, SessionDep
from vet_clinic_api.errors import responses
from vet_core.exceptions import NotFoundException
from vet_core.models.enums import FileStatus
from vet_core.models.files import FileObject
from vet_core.schemas.base import InputSchema
from vet_core.schemas.files import ContentType, Filename, Sha256Hex
from vet_services.storage import ObjectStorage, PresignedRequest, storage_from_settings
from vet_services.storage.local import LocalStorage, verify
from vet_services.storage.service import (
    DEFAULT_EXPIRES_IN,
    confirm_upload,
    download_url,
    request_upload,
)
from vet_services.storage.settings import StorageSettings


def object_storage(request: Request) -> ObjectStorage:
    """The process's storage backend, built once from the settings on first use."""
    state = request.app.state
    storage: ObjectStorage | None = getattr(state, "object_storage", None)
    if storage is None:
        settings: StorageSettings = getattr(state, "storage_settings", None) or StorageSettings()
        storage = storage_from_settings(settings)
        state.object_storage = storage
    return storage


StorageDep = Annotated[ObjectStorage, Depends(object_storage)]
#: Signed URLs are bearer credentials: no cache may keep a response that carries one.
NO_STORE = "private, no-store"

files_router = APIRouter(prefix="/files", tags=["files"], responses=responses())
local_router = APIRouter(prefix="/storage/local", tags=["files"])


class UploadRequest(InputSchema):
    """A file to upload: what it is attached to and what the client says it is."""

    entity_type: Literal["pet", "health_record"]
    entity_id: uuid.UUID
    filename: Filename
    content_type: ContentType
    size_bytes: int = Field(gt=0, le=500 * 1024 * 1024)
    checksum_sha256: Sha256Hex
    expires_in: int = Field(default=DEFAULT_EXPIRES_IN, ge=60, le=900)


class SignedRequestResponse(BaseModel):
    """One HTTP request the client may make until ``expires_at``, sending exactly ``headers``."""

    method: str
    url: str
    expires_at: datetime
    headers: dict[str, str]

    @classmethod
    def of(cls, presigned: PresignedRequest) -> SignedRequestResponse:
        return cls(
            method=presigned.method,
            url=presigned.url,
            expires_at=presigned.expires_at,
            headers=dict(presigned.headers),
        )


class UploadTicketResponse(BaseModel):
    """The pending file and the request that uploads its bytes; confirm it afterwards."""

    file_id: uuid.UUID
    upload: SignedRequestResponse


class FileResponse(BaseModel):
    """A stored file's metadata (its bytes are fetched through a download link)."""

    id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    status: FileStatus
    entity_type: str | None
    entity_id: uuid.UUID | None
    created_at: datetime

    @classmethod
    def of(cls, file: FileObject) -> FileResponse:
        return cls(
            id=file.id,
            filename=file.filename,
            content_type=file.content_type,
            size_bytes=file.size_bytes,
            status=file.status,
            entity_type=file.entity_type,
            entity_id=file.entity_id,
            created_at=file.created_at,
        )


@files_router.post("", response_model=UploadTicketResponse, status_code=status.HTTP_201_CREATED)
async def request_file_upload(
    body: UploadRequest,
    actor: ActorDep,
    session: SessionDep,
    storage: StorageDep,
    response: Response,
) -> UploadTicketResponse:
    """Record a pending file linked to a pet or health record; returns its presigned upload."""
    response.headers["Cache-Control"] = NO_STORE
    ticket = await request_upload(
        session,
        actor,
        storage,
        entity_type=body.entity_type,
        entity_id=body.entity_id,
        filename=body.filename,
        content_type=body.content_type,
        size_bytes=body.size_bytes,
        checksum_sha256=body.checksum_sha256,
        expires_in=body.expires_in,
    )
    return UploadTicketResponse(
        file_id=ticket.file_id, upload=SignedRequestResponse.of(ticket.upload)
    )


@files_router.post("/{file_id}/confirm", response_model=FileResponse)
async def confirm_file_upload(
    file_id: uuid.UUID, actor: ActorDep, session: SessionDep, storage: StorageDep
) -> FileResponse:
    """Check the uploaded bytes (type, size, checksum) and make the file available."""
    return FileResponse.of(await confirm_upload(session, actor, storage, file_id))


@files_router.get("/{file_id}", response_model=SignedRequestResponse)
async def file_download_url(
    file_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    storage: StorageDep,
    response: Response,
    thumbnail: Annotated[int | None, Query(ge=1, le=4096, description="thumbnail size")] = None,
    expires_in: Annotated[int, Query(ge=60, le=900)] = DEFAULT_EXPIRES_IN,
) -> SignedRequestResponse:
    """A short-lived download link, for the owners of the linked record and its clinic's staff."""
    response.headers["Cache-Control"] = NO_STORE
    presigned = await download_url(
        session, actor, storage, file_id, thumbnail=thumbnail, expires_in=expires_in
    )
    return SignedRequestResponse.of(presigned)


#: The HMAC of a local signed URL (hex); anything else is refused before it reaches ``verify``.
Signature = Annotated[str, Query(pattern=r"^[0-9a-f]{64}$")]


def _local(storage: ObjectStorage) -> LocalStorage:
    if not isinstance(storage, LocalStorage):
        raise NotFoundException("Not found", code="NOT_FOUND")
    return storage


@local_router.put(
    "/{key:path}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, public=True),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def local_upload(
    key: str,
    request: Request,
    storage: StorageDep,
    expires: Annotated[int, Query()],
    signature: Signature,
    content_type: Annotated[str, Query(max_length=255, pattern=r"^[\x21-\x7e]+$")],
    content_length: Annotated[str, Query(pattern=r"^[0-9]{1,20}$")],
    sha256: Annotated[str, Query(pattern=r"^[A-Za-z0-9+/]{43}=$")],
) -> Response:
    """Receive the bytes of a signed local upload (the local-folder backend only)."""
    local = _local(storage)
    body = await request.body()
    query = {
        "expires": str(expires),
        "signature": signature,
        "content_type": content_type,
        "content_length": content_length,
        "sha256": sha256,
    }
    await asyncio.to_thread(
        local.accept_upload,
        key,
        query,
        body,
        content_type=request.headers.get("content-type", ""),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@local_router.get(
    "/{key:path}",
    response_class=StreamingResponse,
    responses={
        **responses(401, public=True),
        200: {
            "description": "The file's bytes",
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        },
    },
)
async def local_download(
    key: str,
    storage: StorageDep,
    expires: Annotated[int, Query()],
    signature: Signature,
) -> StreamingResponse:
    """Send the bytes of a signed local download (the local-folder backend only)."""
    local = _local(storage)
    verify(local.signing_key, "GET", key, {"expires": str(expires), "signature": signature})
    head = await asyncio.to_thread(local.head, key)
    if head is None:
        raise NotFoundException("File not found", code="FILE_NOT_FOUND")
    return StreamingResponse(
        local.iter_bytes(key),
        media_type=head.content_type or "application/octet-stream",
        headers={
            "Content-Length": str(head.size),
            "Content-Disposition": "attachment",
            "Cache-Control": NO_STORE,
        },
    )


router = APIRouter()
router.include_router(files_router)
router.include_router(local_router)
