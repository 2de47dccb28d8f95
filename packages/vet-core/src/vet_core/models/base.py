"""The declarative base every model inherits, the mixins they share and the column helpers.

Named constraints make migrations reviewable and reversible: Alembic can drop what it can name.

Conventions every model follows:

* Primary keys are UUIDv7, generated in Python (:func:`uuid7`): time-ordered, so new rows land
  at the right edge of the primary-key index instead of at random pages.
* ``created_at``/``updated_at`` are set by the database. ``updated_at`` is maintained by the
  ``set_updated_at()`` trigger function that migration 0002 attaches to every table with the
  column (``trg_<table>_set_updated_at``), so raw SQL updates keep it true as well.
* Enums are stored by *value* (lowercase strings) in a ``VARCHAR`` guarded by a named CHECK
  (:func:`enum_column_type`); never by member name.
* Soft-deleted rows (``deleted_at`` set) are left out by :func:`select_active`.
"""

from __future__ import annotations

import enum
import os
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, Enum, FetchedValue, MetaData, Select, Uuid, func, select
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.sql.elements import ColumnElement

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(AsyncAttrs, DeclarativeBase):
    """Base class of all models; its ``metadata`` carries the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# --- UUIDv7 -----------------------------------------------------------------------------------

_UUID7_LOCK = threading.Lock()
_UUID7_RANDOM_BITS = 74  # 12 bits of rand_a + 62 bits of rand_b
_UUID7_RANDOM_MASK = (1 << _UUID7_RANDOM_BITS) - 1
_uuid7_last_ms = 0
_uuid7_last_random = 0


def _uuid7_from_parts(unix_ms: int, random: int) -> uuid.UUID:
    rand_a = (random >> 62) & 0xFFF
    rand_b = random & ((1 << 62) - 1)
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= rand_a << 64
    value |= 0b10 << 62  # RFC 9562 variant
    value |= rand_b
    return uuid.UUID(int=value)


def uuid7() -> uuid.UUID:
    """A UUID version 7 (RFC 9562): 48-bit Unix milliseconds, then 74 random bits.

    Monotonic within the process: when two ids fall into the same millisecond (or the clock
    steps back), the random part of the previous id is incremented instead of drawn afresh
    (RFC 9562 section 6.2, method 2), so ids generated in sequence always sort in sequence.
    """
    global _uuid7_last_ms, _uuid7_last_random
    now_ms = time.time_ns() // 1_000_000
    with _UUID7_LOCK:
        if now_ms > _uuid7_last_ms:
            # Leave headroom in the top bit so increments within one millisecond never overflow.
            random = int.from_bytes(os.urandom(10), "big") & (_UUID7_RANDOM_MASK >> 1)
            unix_ms = now_ms
        else:
            unix_ms = _uuid7_last_ms
            random = _uuid7_last_random + 1
            if random > _UUID7_RANDOM_MASK:  # pragma: no cover - 2**73 ids in one millisecond
                unix_ms += 1
                random = int.from_bytes(os.urandom(10), "big") & (_UUID7_RANDOM_MASK >> 1)
        _uuid7_last_ms, _uuid7_last_random = unix_ms, random
    return _uuid7_from_parts(unix_ms, random)


def uuid7_timestamp_ms(value: uuid.UUID) -> int:
    """The Unix millisecond timestamp embedded in a UUIDv7."""
    return value.int >> 80


# --- column helpers ---------------------------------------------------------------------------

E = TypeVar("E", bound=enum.Enum)


def enum_values(enum_class: type[enum.Enum]) -> list[str]:
    """The stored strings of an enum: its members' values, in declaration order."""
    return [str(member.value) for member in enum_class]


def enum_column_type(enum_class: type[E], name: str, *, length: int = 32) -> Enum:
    """A non-native enum column type that stores member *values*, guarded by a CHECK.

    ``name`` becomes the CHECK constraint's name through the naming convention
    (``ck_<table>_<name>``); use the column name so it is unique within the table.
    """
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        values_callable=enum_values,
        length=length,
    )


def sql_string_list(values: list[str]) -> str:
    """``'a', 'b'`` for ``IN (...)``/``ARRAY[...]`` in CHECKs built from enum values."""
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


# --- mixins -----------------------------------------------------------------------------------


class UUIDPrimaryKeyMixin:
    """A UUIDv7 primary key ``id`` generated in Python at flush (or construction) time."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7, sort_order=-100)


class TimestampMixin:
    """``created_at`` and ``updated_at``, both set by the database.

    ``updated_at`` is rewritten by the ``set_updated_at()`` trigger on every UPDATE; the ORM
    fetches it back with RETURNING (``eager_defaults``) so loaded objects never go stale.
    """

    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False, sort_order=100
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True),
        server_default=func.now(),
        server_onupdate=FetchedValue(),
        nullable=False,
        sort_order=101,
    )

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"eager_defaults": True}


class AuditMixin:
    """Who created and last changed a row.

    Deliberately *no* foreign key to ``users``: the columns record history, and a user erased
    for privacy reasons must not rewrite (or block deleting) the rows they once touched.
    """

    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, sort_order=102)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, sort_order=103)


class SoftDeleteMixin:
    """``deleted_at`` marks a row as deleted without losing it; ``is_deleted`` is derived."""

    deleted_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, sort_order=104
    )

    @hybrid_property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @is_deleted.inplace.expression
    @classmethod
    def _is_deleted_expression(cls) -> ColumnElement[bool]:
        return cls.deleted_at.is_not(None)

    @classmethod
    def not_deleted(cls) -> ColumnElement[bool]:
        """The criterion ``deleted_at IS NULL``, for ``.where(Model.not_deleted())``."""
        return cls.deleted_at.is_(None)

    def soft_delete(self, at: datetime | None = None) -> None:
        """Mark the row deleted (written at the next flush); ``at`` defaults to now (UTC).

        The time is taken in Python rather than from the database so the attribute stays
        loaded: reading it back would otherwise be a hidden query (an error under asyncio).
        """
        self.deleted_at = at if at is not None else datetime.now(UTC)

    def restore(self) -> None:
        """Undo :meth:`soft_delete`."""
        self.deleted_at = None


S = TypeVar("S", bound=SoftDeleteMixin)


def select_active(model: type[S], *, include_deleted: bool = False) -> Select[S]:
    """``SELECT model`` leaving soft-deleted rows out unless ``include_deleted`` is true."""
    statement = select(model)
    if not include_deleted:
        statement = statement.where(model.not_deleted())
    return statement


# --- database-side pieces -------------------------------------------------------------------


def tables_with_updated_at() -> list[str]:
    """Every table of the metadata with an ``updated_at`` column (sorted by name).

    Each needs the ``trg_<table>_set_updated_at`` trigger; a migration adding such a table must
    create it (a test compares this list with the triggers of the migrated database).
    Complete only once :mod:`vet_core.models` has been imported.
    """
    return sorted(table.name for table in Base.metadata.tables.values() if "updated_at" in table.c)


__all__ = [
    "NAMING_CONVENTION",
    "AuditMixin",
    "Base",
    "SoftDeleteMixin",
    "TimestampMixin",
    "UUIDPrimaryKeyMixin",
    "enum_column_type",
    "enum_values",
    "select_active",
    "sql_string_list",
    "tables_with_updated_at",
    "uuid7",
    "uuid7_timestamp_ms",
]
