"""The database of one worker process, and the bridge from a sync Celery task to async services.

Services are async (SQLAlchemy over asyncpg); Celery tasks are sync. Each worker process keeps
one event loop and one engine bound to it for its whole life: asyncpg connections belong to the
loop that opened them, so a fresh ``asyncio.run`` per task would throw the pool away every time.
The state is created lazily on first use and dropped in a forked child
(``worker_process_init``), because a connection inherited across ``fork`` is shared with the
parent and must never be used by both. Whatever else lives on the loop (the SMTP connection the
e-mail channel keeps open across tasks) registers a closer with :func:`close_on_shutdown`; the
closers run on the loop when the process shuts down, before the engine is disposed.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from celery.signals import (  # type: ignore[import-untyped]  # celery ships no type hints
    worker_process_init,
    worker_process_shutdown,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from vet_core.config import DatabaseSettings
from vet_core.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    run_in_transaction,
)

T = TypeVar("T")


def platform_database_url() -> str:
    """``DATABASE_URL`` when set, else the embedded PostgreSQL (started if needed)."""
    configured = DatabaseSettings().url
    if configured is not None:
        return configured.get_secret_value()
    from vet_core.embedded import database_url

    return database_url()


@dataclass
class _ProcessState:
    pid: int
    loop: asyncio.AbstractEventLoop
    engine: AsyncEngine
    sessions: SessionFactory


class _Holder:
    """This process's state (a holder object rather than a rebound module global)."""

    state: _ProcessState | None = None


_holder = _Holder()

#: Coroutine functions run on this process's loop at shutdown (see :func:`close_on_shutdown`).
_closers: list[Callable[[], Awaitable[None]]] = []

logger = logging.getLogger(__name__)


def close_on_shutdown(closer: Callable[[], Awaitable[None]]) -> None:
    """Have ``closer()`` awaited on this process's event loop when the worker process ends."""
    _closers.append(closer)


def _create_state() -> _ProcessState:
    loop = asyncio.new_event_loop()
    # A worker process runs one task at a time: a small pool is plenty, and many worker
    # processes must not exhaust the server's connections.
    engine = create_engine(
        DatabaseSettings(pool_size=2, max_overflow=2), url=platform_database_url()
    )
    return _ProcessState(os.getpid(), loop, engine, create_session_factory(engine))


def _current() -> _ProcessState:
    state = _holder.state
    if state is None or state.pid != os.getpid():
        state = _holder.state = _create_state()
    return state


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion on this process's event loop."""
    return _current().loop.run_until_complete(coroutine)


def session_factory() -> SessionFactory:
    """This process's session factory (its engine lives on the loop of :func:`run_async`)."""
    return _current().sessions


def run_in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction (committed if it returns) and return its result.

    Serialization failures and deadlocks retry the whole of ``work``
    (:func:`vet_core.database.run_in_transaction`); connection errors propagate, for the task's
    retry policy to handle.
    """
    return run_async(run_in_transaction(session_factory(), work))


@worker_process_init.connect
def _forget_inherited_state(**_: Any) -> None:
    """A forked child starts without the parent's loop and connections."""
    _holder.state = None


@worker_process_shutdown.connect
def _dispose(**_: Any) -> None:
    """Close this process's connections cleanly so the server does not log aborted sessions."""
    state = _holder.state
    if state is not None and state.pid == os.getpid():
        for closer in _closers:
            try:
                state.loop.run_until_complete(closer())
            except Exception:  # a failing closer must not keep the others from running
                logger.warning("closing %r at shutdown failed", closer, exc_info=True)
        state.loop.run_until_complete(state.engine.dispose())
        state.loop.close()
        _holder.state = None


__all__ = [
    "close_on_shutdown",
    "platform_database_url",
    "run_async",
    "run_in_session",
    "session_factory",
]
