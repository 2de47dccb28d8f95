"""Database health check for readiness probes."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from vet_core.database.errors import is_connection_error


@dataclass(frozen=True, slots=True)
class DatabaseHealth:
    """The outcome of one health check."""

    healthy: bool
    latency_ms: float
    server_version: str | None = None
    error: str | None = None


async def check_database(engine: AsyncEngine) -> DatabaseHealth:
    """Run one round trip; never raises for an unreachable server, reports it instead."""
    started = time.perf_counter()
    try:
        async with engine.connect() as connection:
            version = (await connection.execute(text("SHOW server_version"))).scalar_one()
    except Exception as exc:
        if not is_connection_error(exc):
            raise
        elapsed = (time.perf_counter() - started) * 1000
        return DatabaseHealth(healthy=False, latency_ms=elapsed, error=type(exc).__name__)
    elapsed = (time.perf_counter() - started) * 1000
    return DatabaseHealth(healthy=True, latency_ms=elapsed, server_version=str(version))
