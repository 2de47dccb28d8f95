"""The async engine: built from settings with ``sqlalchemy.URL``, never at import time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from vet_core.config import DatabaseSettings
from vet_core.exceptions import DatabaseConfigException

_POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+asyncpg", "postgresql+psycopg"}


def build_database_url(raw: str | URL) -> URL:
    """Turn any PostgreSQL URL (``postgres://``, ``postgresql://``, with ``sslmode``) into an asyncpg URL.

    Raises :class:`DatabaseConfigException` for anything that is not PostgreSQL.
    """
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise DatabaseConfigException("DATABASE_URL is not a valid database URL") from exc
    if url.drivername not in _POSTGRES_SCHEMES:
        raise DatabaseConfigException(
            f"DATABASE_URL must be a PostgreSQL URL, not {url.drivername!r}",
            details={"scheme": url.drivername},
        )
    query = dict(url.query)
    # libpq spells TLS as sslmode; asyncpg calls the same thing ssl.
    sslmode = query.pop("sslmode", None)
    if sslmode is not None and "ssl" not in query:
        query["ssl"] = sslmode
    return URL.create(
        drivername="postgresql+asyncpg",
        username=url.username,
        password=url.password,
        host=url.host,
        port=url.port,
        database=url.database,
        query=query,
    )


def create_engine(
    settings: DatabaseSettings | None = None,
    *,
    url: str | URL | None = None,
    pooled: bool = True,
    **overrides: Any,
) -> AsyncEngine:
    """Create the async engine for asyncpg from settings (or an explicit ``url``).

    ``pooled=False`` gives a ``NullPool`` engine, for short-lived command-line processes and
    migrations. Nothing connects until the engine is first used.
    """
    settings = settings or DatabaseSettings()
    raw = url if url is not None else (settings.url.get_secret_value() if settings.url else None)
    if raw is None:
        raise DatabaseConfigException(
            "DATABASE_URL is not set (start the embedded server with `vet-core embedded start`)"
        )
    server_settings = {"application_name": settings.application_name}
    if settings.statement_timeout_ms:
        server_settings["statement_timeout"] = str(settings.statement_timeout_ms)
    options: dict[str, Any] = {
        "echo": settings.echo,
        "pool_pre_ping": settings.pool_pre_ping,
        "connect_args": {"timeout": settings.connect_timeout, "server_settings": server_settings},
    }
    if pooled:
        options |= {
            "pool_size": settings.pool_size,
            "max_overflow": settings.max_overflow,
            "pool_timeout": settings.pool_timeout,
            "pool_recycle": settings.pool_recycle,
        }
    else:
        options["poolclass"] = NullPool
    options |= overrides
    return create_async_engine(build_database_url(raw), **options)
