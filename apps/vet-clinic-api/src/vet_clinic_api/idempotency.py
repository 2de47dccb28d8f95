"""``Idempotency-Key`` on POSTs that create appointments, orders and payments.

The first request with a key runs and its response is stored in Redis (shared by every API
process) for a day; a retry with the same key and the same body gets the stored response
without running again; the same key with another body is refused (422), and a retry that
arrives while the first is still running gets 409. Keys are scoped to the caller.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from vet_clinic_api.deps import Caller, resources
from vet_core.exceptions import ConflictException, SchemaValidationException

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="a unique key per intended operation; retries with it run once",
    ),
]

_IN_PROGRESS = "in-progress"
_IN_PROGRESS_TTL = 120


async def idempotent(
    request: Request,
    caller: Caller,
    key: str | None,
    body: BaseModel,
    run: Callable[[], Awaitable[tuple[int, Any]]],
) -> JSONResponse:
    """Run ``run`` once per (caller, key, body); replay its stored response on retries."""
    if key is None:
        status, payload = await run()
        return JSONResponse(payload, status_code=status)
    redis = resources(request).redis
    ttl = resources(request).settings.http.idempotency_ttl_seconds
    owner = caller.actor.user_id or caller.actor.api_key_id
    slot = f"idem:{owner}:{request.url.path}:{key}"
    fingerprint = hashlib.sha256(body.model_dump_json().encode()).hexdigest()

    claimed = await redis.set(
        slot, json.dumps({"state": _IN_PROGRESS, "fp": fingerprint}), nx=True, ex=ttl
    )
    if not claimed:
        stored = json.loads(await redis.get(slot) or "{}")
        if stored.get("fp") != fingerprint:
            raise SchemaValidationException(
                "This Idempotency-Key was used with a different request body",
                code="IDEMPOTENCY_KEY_REUSED",
            )
        if stored.get("state") == _IN_PROGRESS:
            raise ConflictException(
                "A request with this Idempotency-Key is still being processed",
                code="IDEMPOTENCY_IN_PROGRESS",
            )
        return JSONResponse(
            stored["body"], status_code=stored["status"], headers={"Idempotent-Replayed": "true"}
        )
    try:
        status, payload = await run()
    except BaseException:
        await redis.delete(slot)  # a failed attempt may be retried with the same key
        raise
    await redis.set(
        slot,
        json.dumps(
            {"state": "done", "fp": fingerprint, "status": status, "body": payload}, default=str
        ),
        ex=ttl,
    )
    return JSONResponse(payload, status_code=status)
