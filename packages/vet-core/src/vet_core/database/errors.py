"""Translation of driver errors into the platform's exception tree.

Callers should never see a raw asyncpg or socket error: a server that is down or unreachable is a
:class:`ConnectionException`, a failed statement a :class:`TransactionException`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, TimeoutError

from vet_core.exceptions import ConnectionException

SERIALIZATION_FAILURE = "40001"
DEADLOCK_DETECTED = "40P01"
RETRYABLE_SQLSTATES = frozenset({SERIALIZATION_FAILURE, DEADLOCK_DETECTED})

# SQLSTATE class 08 is "connection exception"; 57P01-57P03 are admin shutdown / cannot connect now.
_CONNECTION_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})


def sqlstate_of(error: BaseException) -> str | None:
    """The PostgreSQL SQLSTATE carried by a (wrapped) driver error, if any."""
    current: BaseException | None = error
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for attribute in ("sqlstate", "pgcode"):
            code = getattr(current, attribute, None)
            if isinstance(code, str):
                return code
        current = getattr(current, "orig", None) or current.__cause__
    return None


def constraint_name(error: BaseException) -> str | None:
    """The name of the constraint a (wrapped asyncpg) integrity error reports, if any.

    Services turn a refusal by a *named* constraint into their own clear error (a taken slot, a
    taken microchip) and let any other refusal through.
    """
    current: BaseException | None = error
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = getattr(current, "constraint_name", None)
        if isinstance(name, str):
            return name
        current = getattr(current, "orig", None) or current.__cause__
    return None


def is_connection_error(error: BaseException) -> bool:
    """Whether ``error`` means the server could not be reached or went away."""
    if isinstance(error, OSError | asyncio.TimeoutError | TimeoutError | ConnectionError):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        code = sqlstate_of(error)
        if code is not None:
            return code.startswith("08") or code in _CONNECTION_SQLSTATES
        if isinstance(error, OperationalError | InterfaceError):
            return True
        return isinstance(error.orig, OSError | asyncio.TimeoutError | ConnectionError)
    return False


def connection_error(error: BaseException) -> ConnectionException:
    """A clear :class:`ConnectionException` for a low-level connection failure."""
    return ConnectionException(
        "Could not connect to the database",
        details={"reason": type(error).__name__},
    )


@contextmanager
def translate_connection_errors() -> Iterator[None]:
    """Re-raise connection failures as :class:`ConnectionException`; leave other errors alone."""
    try:
        yield
    except ConnectionException:
        raise
    except Exception as exc:
        if is_connection_error(exc):
            raise connection_error(exc) from exc
        raise
