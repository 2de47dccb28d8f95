"""Opaque cursor pagination over a stable order by ``(created_at, id)`` (newest first by default).

A cursor is the position after the last row of a page, encoded so clients treat it as opaque.
Keyset pagination (``WHERE (created_at, id) < (:t, :id)``) costs the same on page 1000 as on
page 1, and rows inserted meanwhile never shift or repeat what a client has seen.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, literal, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from vet_core.exceptions import SchemaValidationException

MAX_LIMIT = 100
DEFAULT_LIMIT = 20

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Cursor:
    """The ``(created_at, id)`` of the last row a client has seen."""

    created_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        raw = json.dumps([self.created_at.isoformat(), str(self.id)]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """Parse a cursor from a client; anything malformed is a 422, never a 500."""
        try:
            padded = token + "=" * (-len(token) % 4)
            created_at, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
            parsed = cls(datetime.fromisoformat(created_at), uuid.UUID(row_id))
        except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
            raise SchemaValidationException(
                "The cursor is invalid", code="INVALID_CURSOR", details={"field": "cursor"}
            ) from exc
        if parsed.created_at.tzinfo is None:
            raise SchemaValidationException("The cursor is invalid", code="INVALID_CURSOR")
        return parsed


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which page a caller wants: ``cursor`` is the previous page's ``next_cursor``."""

    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of rows and the cursor of the next one (``None`` on the last page)."""

    items: list[T]
    next_cursor: str | None
    limit: int


def keyset(
    query: Select[Any],
    created_at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[uuid.UUID],
    *,
    cursor: str | None,
    limit: int,
    descending: bool = True,
) -> Select[Any]:
    """Order ``query`` (newest first unless ``descending`` is false) and start it after
    ``cursor``; fetch one extra row, which :func:`page_of` turns into the next cursor."""
    check_limit(limit)
    key = tuple_(created_at, row_id)
    if cursor is not None:
        position = Cursor.decode(cursor)
        after = tuple_(literal(position.created_at), literal(position.id))
        query = query.where(key < after if descending else key > after)
    if descending:
        return query.order_by(created_at.desc(), row_id.desc()).limit(limit + 1)
    return query.order_by(created_at, row_id).limit(limit + 1)


def check_limit(limit: int) -> int:
    """``limit`` if it is 1 to :data:`MAX_LIMIT`, else a validation error naming the field."""
    if not 1 <= limit <= MAX_LIMIT:
        raise SchemaValidationException(
            f"limit must be between 1 and {MAX_LIMIT}", details={"field": "limit"}
        )
    return limit


def page_of(rows: Sequence[T], limit: int) -> Page[T]:
    """Cut the extra row fetched by :func:`keyset` and turn it into the next cursor."""
    items = list(rows[:limit])
    if len(rows) <= limit or not items:
        return Page(items=items, next_cursor=None, limit=limit)
    last = items[-1]
    next_cursor = Cursor(last.created_at, last.id).encode()  # type: ignore[attr-defined]
    return Page(items=items, next_cursor=next_cursor, limit=limit)
