"""The baseline of ``api_http.py``: FastAPI and an asyncpg pool, one endpoint, nothing else.

    BARE_DATABASE_URL=postgresql://… uvicorn bare_app:create_app --factory --app-dir tools/bench

``GET /pets/{pet_id}`` reads one row of ``pets`` by primary key and returns it as JSON: no
authentication, no ORM, no middleware, no rate limit. It is the floor under what any request of
the real API costs on the same machine, server and data (uvicorn, one process, the same pool
size as the API's default).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from fastapi import FastAPI, HTTPException, Request

PET_SQL = """
SELECT id, owner_id, name, species, breed, sex, birth_date, microchip, status,
       created_at, updated_at
FROM pets
WHERE id = $1 AND deleted_at IS NULL
"""


def create_app() -> FastAPI:
    """The app; ``BARE_DATABASE_URL`` (a plain ``postgresql://`` URL) and ``BARE_POOL_SIZE``."""
    url = os.environ["BARE_DATABASE_URL"]
    pool_size = int(os.environ.get("BARE_POOL_SIZE", "10"))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(url, min_size=1, max_size=pool_size)
        try:
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/pets/{pet_id}")
    async def read_pet(pet_id: uuid.UUID, request: Request) -> dict[str, Any]:
        row = await request.app.state.pool.fetchrow(PET_SQL, pet_id)
        if row is None:
            raise HTTPException(status_code=404, detail="Pet not found")
        return dict(row)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
