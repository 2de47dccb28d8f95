import pytest
from sqlalchemy.pool import NullPool

from vet_core.config import DatabaseSettings, RedisSettings
from vet_core.database import build_database_url, create_engine
from vet_core.exceptions import DatabaseConfigException


def test_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db.example:5433/vet")
    monkeypatch.setenv("DATABASE_POOL_SIZE", "7")
    monkeypatch.setenv("DATABASE_STATEMENT_TIMEOUT_MS", "1500")
    monkeypatch.setenv("DATABASE_ECHO", "true")
    settings = DatabaseSettings()
    assert settings.url is not None
    assert settings.url.get_secret_value() == "postgresql://u:p@db.example:5433/vet"
    assert "p@db" not in repr(settings)  # the password never shows in logs
    assert (settings.pool_size, settings.statement_timeout_ms, settings.echo) == (7, 1500, True)


def test_empty_urls_mean_unset(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("REDIS_URL", "")
    assert DatabaseSettings().url is None
    assert RedisSettings().url is None


def test_invalid_pool_settings_are_refused(monkeypatch):
    monkeypatch.setenv("DATABASE_POOL_SIZE", "0")
    with pytest.raises(ValueError, match="pool_size"):
        DatabaseSettings()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+asyncpg://u:p@h:5432/d"),
        ("postgresql://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("postgresql+asyncpg://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("postgresql://u@h/d?sslmode=require", "postgresql+asyncpg://u@h/d?ssl=require"),
        ("postgresql://u:p%40ss@h/d", "postgresql+asyncpg://u:p%40ss@h/d"),
    ],
)
def test_any_postgres_url_becomes_an_asyncpg_url(raw, expected):
    assert build_database_url(raw).render_as_string(hide_password=False) == expected


@pytest.mark.parametrize("raw", ["mysql://u@h/d", "sqlite:///x.db", "not a url"])
def test_non_postgres_urls_are_refused(raw):
    with pytest.raises(DatabaseConfigException):
        build_database_url(raw)


def test_engine_needs_a_url():
    with pytest.raises(DatabaseConfigException, match="DATABASE_URL is not set"):
        create_engine(DatabaseSettings(url=None))


async def test_engine_applies_pool_and_server_settings():
    settings = DatabaseSettings(url="postgresql://u@h/d", pool_size=3, max_overflow=4)
    engine = create_engine(settings)
    try:
        assert engine.pool.size() == 3  # type: ignore[attr-defined]
        assert engine.url.drivername == "postgresql+asyncpg"
    finally:
        await engine.dispose()
    unpooled = create_engine(settings, pooled=False)
    try:
        assert isinstance(unpooled.pool, NullPool)
    finally:
        await unpooled.dispose()


async def test_statement_timeout_is_enforced(db_engine, database_url):
    engine = create_engine(
        DatabaseSettings(statement_timeout_ms=100), url=database_url, pooled=False
    )
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from vet_core.database import sqlstate_of

    try:
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as caught:
                await connection.execute(text("SELECT pg_sleep(2)"))
        assert sqlstate_of(caught.value) == "57014"  # query_canceled
    finally:
        await engine.dispose()
