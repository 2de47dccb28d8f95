"""Reading which constraint the database reported when a write was refused."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError


def constraint_name(error: IntegrityError) -> str | None:
    """The constraint named by a (wrapped asyncpg) integrity error, if any.

    SQLAlchemy wraps the driver's exception, which may itself wrap asyncpg's; the name sits on
    whichever layer carries ``constraint_name``.
    """
    current: BaseException | None = error.orig
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = getattr(current, "constraint_name", None)
        if isinstance(name, str):
            return name
        current = current.__cause__
    return None


__all__ = ["constraint_name"]
