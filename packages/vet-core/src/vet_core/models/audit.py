"""The append-only audit log.

Rows are never updated or deleted: the trigger ``trg_audit_logs_append_only`` (function
``audit_logs_forbid_change()``, installed by migration 0002) raises on UPDATE and DELETE. ``actor_id``/``entity_id`` are plain
UUIDs without foreign keys, so the log outlives what it talks about.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from ipaddress import IPv4Address, IPv6Address
from typing import Any

from sqlalchemy import DateTime, Index, String, Uuid, func, text
from sqlalchemy.dialects.postgresql import INET, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from vet_core.models.base import Base, UUIDPrimaryKeyMixin, enum_column_type
from vet_core.models.enums import ActorType, AuditAction


class AuditLog(UUIDPrimaryKeyMixin, Base):
    """Who did what to which entity, when, and from which request."""

    __tablename__ = "audit_logs"
    __table_args__ = (
        Index(
            "ix_audit_logs_entity_type_entity_id_occurred_at",
            "entity_type",
            "entity_id",
            "occurred_at",
        ),
        Index("ix_audit_logs_actor_id_occurred_at", "actor_id", "occurred_at"),
        Index("ix_audit_logs_occurred_at", "occurred_at"),
    )

    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    actor_type: Mapped[ActorType] = mapped_column(
        enum_column_type(ActorType, "actor_type"), default=ActorType.USER
    )
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    action: Mapped[AuditAction] = mapped_column(enum_column_type(AuditAction, "action"))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    changes: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    request_id: Mapped[str | None] = mapped_column(String(64))
    # Written as a string or an ipaddress object; asyncpg reads it back as an ipaddress object.
    ip_address: Mapped[IPv4Address | IPv6Address | None] = mapped_column(INET)
    user_agent: Mapped[str | None] = mapped_column(String(512))


__all__ = ["AuditLog"]
