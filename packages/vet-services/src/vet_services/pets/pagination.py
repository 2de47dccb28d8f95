"""Keyset pagination over ``(created_at, id)`` with opaque cursors.

Offsets skip or repeat rows when rows are inserted between two page requests; a keyset cursor
("everything after this row") does not. ``id`` breaks ties, since rows created in one
transaction share their ``created_at``. The cursor is URL-safe base64 of a small JSON object so
clients treat it as opaque and the API can pass it through untouched.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from vet_core.exceptions import SchemaValidationException

T = TypeVar("T")

DEFAULT_PAGE_LIMIT = 50
MAX_PAGE_LIMIT = 100


@dataclass(frozen=True, slots=True)
class Cursor:
    """The position after which the next page starts."""

    created_at: datetime
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of rows and the cursor of the next one (``None`` on the last page)."""

    items: Sequence[T] = field(default_factory=list)
    next_cursor: str | None = None


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps({"c": created_at.isoformat(), "i": str(row_id)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> Cursor:
    """Parse a cursor made by :func:`encode_cursor`; anything else is a client error."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        created_at = datetime.fromisoformat(data["c"])
        if created_at.tzinfo is None:
            raise ValueError("naive cursor time")
        return Cursor(created_at=created_at, id=uuid.UUID(data["i"]))
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise SchemaValidationException(
            "The cursor is not valid", code="INVALID_CURSOR", details={"field": "cursor"}
        ) from error


def check_limit(limit: int) -> int:
    """``limit`` if it is 1–:data:`MAX_PAGE_LIMIT`, else a validation error naming the field."""
    if not 1 <= limit <= MAX_PAGE_LIMIT:
        raise SchemaValidationException(
            f"limit must be between 1 and {MAX_PAGE_LIMIT}", details={"field": "limit"}
        )
    return limit


__all__ = [
    "DEFAULT_PAGE_LIMIT",
    "MAX_PAGE_LIMIT",
    "Cursor",
    "Page",
    "check_limit",
    "decode_cursor",
    "encode_cursor",
]
