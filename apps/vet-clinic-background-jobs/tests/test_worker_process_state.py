"""What a worker process keeps on its one event loop is closed on that loop when it shuts down."""

from __future__ import annotations

import asyncio
import os

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from vet_clinic_jobs import db


def test_closers_run_on_the_process_loop_before_it_closes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = asyncio.new_event_loop()
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:9/never_connected")
    state = db._ProcessState(os.getpid(), loop, engine, async_sessionmaker(engine))
    monkeypatch.setattr(db._holder, "state", state)
    monkeypatch.setattr(db, "_closers", [])
    seen: list[asyncio.AbstractEventLoop] = []

    async def broken() -> None:
        raise RuntimeError("the relay is gone")

    async def close_smtp() -> None:
        seen.append(asyncio.get_running_loop())

    db.close_on_shutdown(broken)
    db.close_on_shutdown(close_smtp)
    db._dispose()

    # A failing closer does not stop the next one; both ran on the process's own loop.
    assert seen == [loop]
    assert loop.is_closed()
    assert db._holder.state is None
