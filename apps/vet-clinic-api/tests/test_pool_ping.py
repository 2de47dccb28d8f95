"""The API's pre-ping: idle pooled connections are pinged, busy ones are not, dead ones replaced."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from vet_clinic_api.pool_ping import ping_when_idle
from vet_core.config import DatabaseSettings
from vet_core.database import create_engine


def engine_for(database_url: Any, idle_seconds: float) -> tuple[AsyncEngine, list[int]]:
    settings = DatabaseSettings(url=database_url.render_as_string(hide_password=False))
    engine = create_engine(settings, pool_pre_ping=False, pool_size=1, max_overflow=0)
    ping_when_idle(engine, idle_seconds)
    dialect = engine.sync_engine.dialect
    pings: list[int] = []
    real_ping = dialect.do_ping

    def counting_ping(dbapi_connection: Any) -> bool:
        pings.append(1)
        return real_ping(dbapi_connection)

    dialect.do_ping = counting_ping  # type: ignore[method-assign]
    return engine, pings


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text("SELECT pg_backend_pid()")))


async def terminate(engine: AsyncEngine, pid: int) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


async def test_a_connection_used_moments_ago_is_not_pinged(database_url):
    engine, pings = engine_for(database_url, idle_seconds=60)
    try:
        first = await backend_pid(engine)
        assert await backend_pid(engine) == first
        assert pings == []
    finally:
        await engine.dispose()


async def test_an_idle_connection_is_pinged_but_a_fresh_one_is_not(database_url):
    engine, pings = engine_for(database_url, idle_seconds=0)
    try:
        first = await backend_pid(engine)
        assert pings == []  # just opened
        assert await backend_pid(engine) == first
        assert pings == [1]
    finally:
        await engine.dispose()


async def test_a_dead_idle_connection_is_replaced_before_use(database_url):
    engine, pings = engine_for(database_url, idle_seconds=0)
    killer, _ = engine_for(database_url, idle_seconds=0)
    try:
        dead = await backend_pid(engine)
        await terminate(killer, dead)
        replaced = await backend_pid(engine)  # the ping fails, a new connection answers
        assert replaced != dead
        assert pings == [1]
    finally:
        await engine.dispose()
        await killer.dispose()


async def test_a_dead_busy_connection_fails_once_and_the_pool_recovers(database_url):
    engine, pings = engine_for(database_url, idle_seconds=60)
    killer, _ = engine_for(database_url, idle_seconds=0)
    try:
        dead = await backend_pid(engine)
        await terminate(killer, dead)
        with pytest.raises(DBAPIError) as failure:
            await backend_pid(engine)
        assert failure.value.connection_invalidated
        assert await backend_pid(engine) != dead
        assert pings == []
    finally:
        await engine.dispose()
        await killer.dispose()
