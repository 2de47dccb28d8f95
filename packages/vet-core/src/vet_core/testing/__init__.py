"""The pytest plugin every package of the platform tests with (``-p vet_core.testing``).

It gives tests a real PostgreSQL and a real Redis, never stand-ins:

* ``database_url``: a database of this test process's own (one per xdist worker), created fresh
  and migrated with Alembic (not ``create_all``), so the tests run on the schema production gets.
* ``db_engine`` / ``db_session``: each test runs inside an outer transaction that is rolled back
  at the end; the code under test may commit (commits become savepoints) and nothing leaks.
* ``committed_session_factory``: for tests that need several real connections (concurrency),
  the tables are emptied afterwards instead.
* ``fresh_database_url``: an empty, unmigrated database for migration tests, dropped afterwards.
* ``redis_url`` / ``redis``: a Redis database of the worker's own, flushed before every test.

With ``DATABASE_URL`` / ``REDIS_URL`` set, those servers are used; otherwise the embedded ones.
"""

from __future__ import annotations

import ast
import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import pytest_asyncio
from sqlalchemy import URL, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from vet_core.database.engine import build_database_url, create_engine
from vet_core.database.session import SessionFactory, create_session_factory

if TYPE_CHECKING:
    from redis.asyncio import Redis

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, on a private event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def worker_id() -> str:
    """``gw0``, ``gw1``… under xdist; ``main`` otherwise."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _worker_number() -> int:
    worker = worker_id()
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0


async def _admin_execute(server_url: URL, *statements: str) -> None:
    engine = create_engine(
        url=server_url.set(database="postgres"), pooled=False, isolation_level="AUTOCOMMIT"
    )
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def create_database(server_url: str | URL, name: str) -> URL:
    """(Re)create an empty database ``name`` on the server and return its URL."""
    url = build_database_url(server_url)
    run_sync(
        _admin_execute(
            url,
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'CREATE DATABASE "{name}"',
        )
    )
    return url.set(database=name)


def drop_database(server_url: str | URL, name: str) -> None:
    """Drop database ``name``, ending any session still connected to it."""
    run_sync(
        _admin_execute(
            build_database_url(server_url), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        )
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _drop_orphaned_test_databases(server_url: str | URL) -> None:
    """Drop test databases left by runs that were killed (their pid is gone) on this machine."""

    async def orphans() -> list[str]:
        engine = create_engine(
            url=build_database_url(server_url).set(database="postgres"), pooled=False
        )
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    text("SELECT datname FROM pg_database WHERE datname ~ '^vet_(test|fresh)_'")
                )
                names = [str(name) for name in rows.scalars()]
        finally:
            await engine.dispose()
        found = []
        for name in names:
            parts = name.split("_")
            pid = next((int(p) for p in parts[3:4] if p.isdigit()), None)
            if pid is not None and not _pid_alive(pid):
                found.append(name)
        return found

    for name in run_sync(orphans()):
        drop_database(server_url, name)


def migrate(url: str | URL, revision: str = "head") -> None:
    """Run the packaged Alembic migrations up to ``revision`` against ``url``."""
    from vet_core.migrations import alembic_config, upgrade

    rendered = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
    # Alembic's env runs its own event loop; keep it off the test loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(upgrade, alembic_config(rendered), revision).result()


@pytest.fixture(scope="session")
def database_server_url() -> str:
    """The PostgreSQL server of this run: ``DATABASE_URL`` or the embedded one."""
    from vet_core.embedded import database_url

    return database_url()


@pytest.fixture(scope="session")
def database_url(database_server_url: str) -> Iterator[URL]:
    """A migrated database of this test process's own, dropped at the end of the session."""
    if not os.environ.get("DATABASE_URL"):
        # Only on our own embedded server can a pid tell whether a run is still alive.
        _drop_orphaned_test_databases(database_server_url)
    # The pid makes the name unique across concurrent runs sharing one server.
    name = f"vet_test_{worker_id()}_{os.getpid()}"
    url = create_database(database_server_url, name)
    migrate(url)
    yield url
    drop_database(database_server_url, name)


@pytest.fixture
def fresh_database_url(database_server_url: str) -> Iterator[URL]:
    """An empty database (no migrations applied), dropped after the test."""
    name = f"vet_fresh_{worker_id()}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = create_database(database_server_url, name)
    yield url
    drop_database(database_server_url, name)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def db_engine(database_url: URL) -> AsyncIterator[AsyncEngine]:
    """A pooled engine on the test database, shared by the whole session."""
    engine = create_engine(url=database_url)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def db_session(db_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside an outer transaction that is rolled back after the test.

    Commits made by the code under test release savepoints instead, so they work as in
    production while nothing reaches the next test.
    """
    async with db_engine.connect() as connection:
        outer = await connection.begin()
        session = AsyncSession(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            yield session
        finally:
            await session.close()
            if outer.is_active:
                await outer.rollback()


async def truncate_all(engine: AsyncEngine) -> None:
    """Empty every table of the models' metadata (for tests that really commit)."""
    from vet_core.models import Base

    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    if not tables:
        return
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest_asyncio.fixture(loop_scope="session")
async def committed_session_factory(db_engine: AsyncEngine) -> AsyncIterator[SessionFactory]:
    """Sessions that really commit, for tests that need several connections at once.

    Every table is emptied after the test.
    """
    yield create_session_factory(db_engine)
    await truncate_all(db_engine)


def with_redis_db(url: str, db: int) -> str:
    """``url`` pointing at logical database ``db`` (path for redis://, query for unix://)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        query["db"] = str(db)
        # Spelled out: urlunsplit drops the "//" of an empty authority, which redis-py refuses.
        return f"unix://{parts.path}?{urlencode(query)}"
    return urlunsplit(parts._replace(path=f"/{db}"))


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis database of this test process's own (``REDIS_URL`` or the embedded server)."""
    from vet_core.embedded import redis_url as server_url

    # Database 0 is left to development; each xdist worker takes its own from 1 up.
    return with_redis_db(server_url(), 1 + _worker_number() % 15)


@pytest_asyncio.fixture(loop_scope="session")
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """A client on the worker's Redis database, flushed before the test."""
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url, decode_responses=True)
    await client.flushdb()
    try:
        yield client
    finally:
        await client.aclose()


PLATFORM_PACKAGES = frozenset({"vet_core", "vet_services", "vet_clinic_api", "vet_clinic_jobs"})


def imported_platform_packages(source_dir: Path) -> dict[str, set[str]]:
    """Which platform packages each module under ``source_dir`` imports (read from the AST).

    Used by every package's tests to keep the direction of dependencies one way:
    apps → vet-services → vet-core, and the apps never import each other.
    """
    found: dict[str, set[str]] = {}
    for path in sorted(source_dir.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        platform = names & PLATFORM_PACKAGES
        if platform:
            found[str(path.relative_to(source_dir))] = platform
    return found


__all__ = [
    "PLATFORM_PACKAGES",
    "create_database",
    "drop_database",
    "imported_platform_packages",
    "migrate",
    "run_sync",
    "truncate_all",
    "with_redis_db",
    "worker_id",
]
