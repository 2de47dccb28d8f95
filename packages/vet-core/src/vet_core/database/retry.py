"""Retries: connecting to a server that is not up yet, and transactions that lost a race.

Both back off exponentially with full jitter, so that many processes retrying at once do not
hammer the server in lockstep.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from vet_core.database.errors import (
    RETRYABLE_SQLSTATES,
    connection_error,
    is_connection_error,
    sqlstate_of,
)
from vet_core.database.session import SessionFactory, transaction
from vet_core.exceptions import ConnectionException, RetryableTransactionException

T = TypeVar("T")

logger = logging.getLogger(__name__)

_random = random.SystemRandom()


def backoff_delay(attempt: int, *, base: float = 0.05, cap: float = 2.0) -> float:
    """Full-jitter exponential backoff: a random delay in ``[0, min(cap, base * 2**attempt)]``."""
    return _random.uniform(0, min(cap, base * 2**attempt))


def is_retryable_transaction_error(error: BaseException) -> bool:
    """Whether ``error`` is a serialization failure (40001) or a deadlock (40P01)."""
    return isinstance(error, DBAPIError) and sqlstate_of(error) in RETRYABLE_SQLSTATES


async def connect_with_retry(
    engine: AsyncEngine,
    *,
    retries: int = 5,
    base_delay: float = 0.2,
    max_delay: float = 5.0,
) -> None:
    """Wait until the database answers, retrying with backoff; then return.

    Raises :class:`ConnectionException` once ``retries`` retries have failed.
    """
    for attempt in range(retries + 1):
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            if attempt == retries:
                raise connection_error(exc) from exc
            delay = backoff_delay(attempt, base=base_delay, cap=max_delay)
            logger.warning(
                "database not reachable (%s), retry %d/%d in %.2fs",
                type(exc).__name__,
                attempt + 1,
                retries,
                delay,
            )
            await asyncio.sleep(delay)
        else:
            return
    raise ConnectionException  # pragma: no cover - the loop always returns or raises


async def run_in_transaction(
    factory: SessionFactory,
    work: Callable[[AsyncSession], Awaitable[T]],
    *,
    attempts: int = 5,
    base_delay: float = 0.02,
    max_delay: float = 1.0,
) -> T:
    """Run ``work`` in a fresh transaction, retrying the whole of it on serialization failure or deadlock.

    ``work`` must be safe to run again from the start: each attempt gets a new session, and a
    failed attempt is rolled back entirely. After ``attempts`` failures the error becomes a
    :class:`RetryableTransactionException` (HTTP 409: the client may try again).
    """
    for attempt in range(attempts):
        try:
            async with transaction(factory) as session:
                return await work(session)
        except DBAPIError as exc:
            if not is_retryable_transaction_error(exc):
                raise
            if attempt == attempts - 1:
                raise RetryableTransactionException(
                    details={"sqlstate": sqlstate_of(exc), "attempts": attempts}
                ) from exc
            delay = backoff_delay(attempt, base=base_delay, cap=max_delay)
            logger.info(
                "transaction conflict %s, attempt %d/%d, retrying in %.3fs",
                sqlstate_of(exc),
                attempt + 1,
                attempts,
                delay,
            )
            await asyncio.sleep(delay)
    raise RetryableTransactionException  # pragma: no cover - attempts >= 1 always returns or raises
