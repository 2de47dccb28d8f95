"""Optimistic concurrency for clinical records: version tokens and the 412 they lead to.

Two clinicians editing one record must not silently overwrite each other. A reader gets the
record's version (the API sends it as ``ETag``); a writer sends it back (``If-Match``) and the
service refuses the write when the record changed in between. The token is derived from
``updated_at``, which the database trigger sets with ``clock_timestamp()`` on every UPDATE, so
even two changes inside one transaction give two versions; hashing it with the id keeps the
token opaque (clients must not parse or forge times).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from vet_core.exceptions import ConflictException


class PreconditionFailed(ConflictException):
    """The caller's version of the record is stale (HTTP 412 Precondition Failed)."""

    code = "VERSION_MISMATCH"
    http_status = 412
    default_message = "The record changed since you read it; reload it and try again"


def version_token(record_id: uuid.UUID, updated_at: datetime) -> str:
    """The opaque version of a row: stable while the row is unchanged, new after any update."""
    # The same digest as the API's ``etag_of`` (which adds the quotes of an ETag).
    moment = updated_at.astimezone(UTC).isoformat()
    return hashlib.sha256(f"{record_id}:{moment}".encode()).hexdigest()[:32]


def check_version(record_id: uuid.UUID, updated_at: datetime, expected_version: str) -> None:
    """Raise :class:`PreconditionFailed` unless ``expected_version`` is the current version.

    ``expected_version`` may be an ``If-Match`` header as received: a comma-separated list of
    (weak or strong, quoted or bare) tags, or ``*`` ("any current version", RFC 9110).
    """
    offered = {tag.strip().removeprefix("W/").strip('"') for tag in expected_version.split(",")}
    current = version_token(record_id, updated_at)
    if current not in offered and "*" not in offered:
        raise PreconditionFailed(details={"current_version": current})


__all__ = ["PreconditionFailed", "check_version", "version_token"]
