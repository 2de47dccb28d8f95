"""Optimistic concurrency for clinical records: ``ETag`` on reads, ``If-Match`` on writes.

The ETag is derived from the record's id and ``updated_at`` (which the database moves on every
update), so a client editing a stale copy gets 412 instead of silently overwriting a colleague.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated

from fastapi import Header

from vet_core.exceptions import ConflictException


class PreconditionFailed(ConflictException):
    code = "PRECONDITION_FAILED"
    http_status = 412
    default_message = "The record changed since you read it; reload and try again"


class PreconditionRequired(ConflictException):
    code = "PRECONDITION_REQUIRED"
    http_status = 428
    default_message = "Send If-Match with the ETag you read, so that no change is lost"


IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=200)]


def etag_of(record_id: object, updated_at: datetime) -> str:
    digest = hashlib.sha256(f"{record_id}:{updated_at.isoformat()}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def check_if_match(if_match: str | None, record_id: object, updated_at: datetime) -> None:
    """Refuse a write whose ``If-Match`` is missing (428) or stale (412)."""
    if if_match is None:
        raise PreconditionRequired
    current = etag_of(record_id, updated_at)
    offered = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if current not in offered and "*" not in offered:
        raise PreconditionFailed(details={"current_etag": current})
