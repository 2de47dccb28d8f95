"""Schemas of the audit log. It is append-only: there is a create and a response, no update."""

from __future__ import annotations

from datetime import datetime
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Any
from uuid import UUID

from pydantic import Field, field_validator, model_validator

from vet_core.models.enums import ActorType, AuditAction
from vet_core.schemas.base import CreateSchema, ORMModel

EntityType = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]


class AuditLogCreate(CreateSchema):
    """One audited action, written by the services (never by clients).

    ``changes`` maps each changed field to ``{"old": ..., "new": ...}``.
    """

    actor_type: ActorType
    actor_id: UUID | None = None
    action: AuditAction
    entity_type: EntityType
    entity_id: UUID | None = None
    changes: dict[str, Any] = Field(default_factory=dict)
    request_id: Annotated[str, Field(max_length=64)] | None = None
    ip_address: IPv4Address | IPv6Address | None = None
    user_agent: Annotated[str, Field(max_length=512)] | None = None

    @model_validator(mode="after")
    def _actor(self) -> AuditLogCreate:
        if self.actor_type is not ActorType.SYSTEM and self.actor_id is None:
            raise ValueError("actor_id is required unless actor_type is system")
        return self


class AuditLogResponse(ORMModel):
    """An audit entry (staff and compliance view)."""

    id: UUID
    occurred_at: datetime
    actor_type: ActorType
    actor_id: UUID | None
    action: AuditAction
    entity_type: str
    entity_id: UUID | None
    changes: dict[str, Any]
    request_id: str | None
    ip_address: str | None
    user_agent: str | None

    @field_validator("ip_address", mode="before")
    @classmethod
    def _address_as_text(cls, value: object) -> object:
        # asyncpg returns INET values as ipaddress objects.
        return None if value is None else str(value)


__all__ = ["AuditLogCreate", "AuditLogResponse"]
