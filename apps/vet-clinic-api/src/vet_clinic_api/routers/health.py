"""Liveness and readiness, for load balancers and orchestrators (no authentication)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from vet_clinic_api.deps import resources
from vet_core.database import check_database

router = APIRouter(prefix="/health", tags=["health"])


class Liveness(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: bool
    redis: bool
    database_latency_ms: float | None = None


@router.get("/live", response_model=Liveness)
async def live() -> Liveness:
    """The process is up (nothing else is checked)."""
    return Liveness(status="ok")


@router.get(
    "/ready",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A dependency does not answer"}},
)
async def ready(request: Request) -> JSONResponse:
    """The database and Redis answer; 503 otherwise."""
    res = resources(request)

    async def redis_ok() -> bool:
        try:
            return bool(await asyncio.wait_for(res.redis.ping(), timeout=2))
        except (OSError, TimeoutError, ConnectionError) as exc:
            del exc
            return False
        except Exception:  # redis-py raises its own ConnectionError tree
            return False

    database, redis = await asyncio.gather(check_database(res.engine), redis_ok())
    body = Readiness(
        status="ok" if database.healthy and redis else "unavailable",
        database=database.healthy,
        redis=redis,
        database_latency_ms=round(database.latency_ms, 2),
    )
    return JSONResponse(body.model_dump(), status_code=200 if body.status == "ok" else 503)
