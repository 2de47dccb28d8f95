"""What one API process holds for its lifetime: engines, Redis, the token verifier."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from vet_clinic_api.pool_ping import ping_when_idle
from vet_clinic_api.settings import AppSettings
from vet_core.database import SessionFactory, create_engine, create_session_factory
from vet_core.exceptions import DatabaseConfigException
from vet_services.auth.clerk import ClerkTokenVerifier
from vet_services.auth.directory import ClerkDirectory
from vet_services.auth.identity import ActorCache


def _engine(settings: AppSettings, url: str | None = None) -> AsyncEngine:
    """An engine of the process; with pre-ping on, idle connections only are pinged."""
    if not settings.database.pool_pre_ping:
        return create_engine(settings.database, url=url)
    engine = create_engine(settings.database, url=url, pool_pre_ping=False)
    ping_when_idle(engine, settings.http.db_ping_idle_seconds)
    return engine


@dataclass
class Resources:
    """Opened in the app's lifespan, closed when it ends. Nothing is created at import time."""

    settings: AppSettings
    engine: AsyncEngine
    sessions: SessionFactory
    read_engine: AsyncEngine
    read_sessions: SessionFactory
    redis: Redis
    verifier: ClerkTokenVerifier | None
    directory: ClerkDirectory | None
    actors: ActorCache

    @classmethod
    def open(cls, settings: AppSettings) -> Resources:
        engine = _engine(settings)
        read_url = settings.read_replica.url
        read_engine = (
            _engine(settings, read_url.get_secret_value()) if read_url is not None else engine
        )
        if settings.redis.url is None:
            raise DatabaseConfigException("REDIS_URL is not set")
        redis = Redis.from_url(settings.redis.url.get_secret_value(), decode_responses=True)
        clerk = settings.clerk
        verifier = ClerkTokenVerifier(clerk) if clerk.issuer else None
        directory = ClerkDirectory(clerk) if clerk.secret_key else None
        return cls(
            settings=settings,
            engine=engine,
            sessions=create_session_factory(engine),
            read_engine=read_engine,
            # Read sessions only read: in autocommit each statement is its own transaction,
            # which under READ COMMITTED sees exactly what it would inside one, without the
            # BEGIN and ROLLBACK round trips.
            read_sessions=create_session_factory(
                read_engine.execution_options(isolation_level="AUTOCOMMIT")
            ),
            redis=redis,
            verifier=verifier,
            directory=directory,
            actors=ActorCache(settings.http.actor_cache_seconds),
        )

    async def close(self) -> None:
        if self.verifier is not None:
            await self.verifier.aclose()
        if self.directory is not None:
            await self.directory.aclose()
        await self.redis.aclose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
        await self.engine.dispose()
