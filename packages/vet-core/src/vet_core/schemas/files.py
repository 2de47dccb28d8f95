"""Schemas of stored files (photos, attachments, invoice PDFs)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field, model_validator

from vet_core.models.enums import FileStatus
from vet_core.schemas.audit import EntityType
from vet_core.schemas.base import CreateSchema, EntityResponse, UpdateSchema

#: Largest upload accepted (100 MiB): imaging studies are big, anything larger is a mistake.
MAX_FILE_SIZE_BYTES = 100 * 1024 * 1024

Filename = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^/\\\x00-\x1f]+$")]
ContentType = Annotated[str, Field(max_length=255, pattern=r"^[\w.+-]+/[\w.+-]+$")]
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


def _check_link(entity_type: str | None, entity_id: UUID | None) -> None:
    if (entity_type is None) != (entity_id is None):
        raise ValueError("entity_type and entity_id must be given together")


class FileObjectCreate(CreateSchema):
    """Register an upload; the service picks the storage key and bucket."""

    filename: Filename
    content_type: ContentType
    size_bytes: Annotated[int, Field(ge=0, le=MAX_FILE_SIZE_BYTES)]
    checksum_sha256: Sha256Hex | None = None
    clinic_id: UUID | None = None
    entity_type: EntityType | None = None
    entity_id: UUID | None = None

    @model_validator(mode="after")
    def _link(self) -> FileObjectCreate:
        _check_link(self.entity_type, self.entity_id)
        return self


class FileObjectUpdate(UpdateSchema):
    """Rename a file or link it to an entity (both link fields together)."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset({"entity_type", "entity_id"})

    filename: Filename | None = None
    entity_type: EntityType | None = None
    entity_id: UUID | None = None

    @model_validator(mode="after")
    def _link(self) -> FileObjectUpdate:
        if {"entity_type", "entity_id"} & self.model_fields_set:
            _check_link(self.entity_type, self.entity_id)
        return self


class FileObjectResponse(EntityResponse):
    """A stored file's metadata (the content is fetched through a signed URL)."""

    storage_key: str
    bucket: str
    filename: str
    content_type: str
    size_bytes: int
    checksum_sha256: str | None
    status: FileStatus
    owner_id: UUID | None
    clinic_id: UUID | None
    entity_type: str | None
    entity_id: UUID | None
    deleted_at: datetime | None


__all__ = [
    "MAX_FILE_SIZE_BYTES",
    "FileObjectCreate",
    "FileObjectResponse",
    "FileObjectUpdate",
]
