"""Stored files (object storage): what they are, who owns them and what they belong to."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from vet_core.models.base import (
    AuditMixin,
    Base,
    SoftDeleteMixin,
    TimestampMixin,
    UUIDPrimaryKeyMixin,
    enum_column_type,
)
from vet_core.models.enums import FileStatus


class FileObject(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, SoftDeleteMixin, Base):
    """A file in object storage. ``entity_type``/``entity_id`` link it to e.g. a health record."""

    __tablename__ = "files"
    __table_args__ = (
        CheckConstraint("size_bytes >= 0", name="size_non_negative"),
        CheckConstraint("checksum_sha256 ~ '^[0-9a-f]{64}$'", name="checksum_sha256_hex"),
        CheckConstraint("(entity_type IS NULL) = (entity_id IS NULL)", name="entity_link_complete"),
        Index(
            "ix_files_entity_type_entity_id",
            "entity_type",
            "entity_id",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_files_owner_id", "owner_id"),
    )

    storage_key: Mapped[str] = mapped_column(String(512), unique=True)
    bucket: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    checksum_sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[FileStatus] = mapped_column(
        enum_column_type(FileStatus, "status"), default=FileStatus.PENDING
    )
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    clinic_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("clinics.id", ondelete="SET NULL")
    )
    entity_type: Mapped[str | None] = mapped_column(String(64))
    entity_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


__all__ = ["FileObject"]
