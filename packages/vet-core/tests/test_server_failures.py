"""A server that stops and comes back: clear errors, no hang, and the same engine recovers.

These tests run their own PostgreSQL cluster so that stopping it disturbs nobody else.
"""

import asyncio
import threading

import pytest
from sqlalchemy import text

from vet_core.database import check_database, connect_with_retry, create_engine, transaction
from vet_core.database.session import create_session_factory
from vet_core.embedded import EmbeddedPostgres
from vet_core.exceptions import ConnectionException


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    server = EmbeddedPostgres(tmp_path_factory.mktemp("own-postgres"))
    server.start()
    yield server
    server.stop()


async def select_one(factory) -> int:
    async with transaction(factory) as session:
        return (await session.execute(text("SELECT 1"))).scalar_one()


async def test_stopped_server_gives_connection_exception_and_engine_recovers(own_server):
    engine = create_engine(url=own_server.url())
    factory = create_session_factory(engine)
    try:
        assert await select_one(factory) == 1
        own_server.stop()
        with pytest.raises(ConnectionException) as caught:
            # Bounded only to fail instead of hanging if the behaviour regresses.
            await asyncio.wait_for(select_one(factory), timeout=30)
        assert caught.value.code == "DATABASE_CONNECTION_ERROR"
        assert caught.value.__cause__ is not None  # the driver error is kept for logs
        health = await check_database(engine)
        assert not health.healthy
        assert health.error

        own_server.start()
        assert await select_one(factory) == 1
        health = await check_database(engine)
        assert health.healthy
        assert health.server_version is not None
        assert health.server_version.startswith("18")
    finally:
        await engine.dispose()
        own_server.start()


async def test_connect_with_retry_gives_up_with_a_clear_error(own_server):
    engine = create_engine(url=own_server.url(), pooled=False)
    own_server.stop()
    try:
        with pytest.raises(ConnectionException):
            await connect_with_retry(engine, retries=2, base_delay=0.01, max_delay=0.05)
    finally:
        await engine.dispose()
        own_server.start()


async def test_connect_with_retry_waits_for_a_server_that_comes_up(own_server):
    engine = create_engine(url=own_server.url(), pooled=False)
    own_server.stop()
    starter = threading.Timer(1.0, own_server.start)
    starter.start()
    try:
        await connect_with_retry(engine, retries=30, base_delay=0.2, max_delay=0.5)
    finally:
        starter.join()
        await engine.dispose()
