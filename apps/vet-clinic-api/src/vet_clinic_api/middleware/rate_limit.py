"""Rate limits kept in Redis, so that every API process counts together.

Fixed one-minute windows: one ``INCR`` + ``EXPIRE`` round trip per request and key. Per client
address here, before anything else runs; per user in the authentication dependency.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis
from starlette.types import ASGIApp, Receive, Scope, Send

from vet_clinic_api.errors import error_response
from vet_clinic_api.middleware.request import client_ip

WINDOW_SECONDS = 60
EXEMPT_PREFIXES = ("/health",)


async def hit(redis: Redis, key: str, limit: int) -> int | None:
    """Count one request against ``key``; the seconds to wait if over ``limit``, else None."""
    window = int(time.time()) // WINDOW_SECONDS
    bucket = f"rl:{key}:{window}"
    async with redis.pipeline(transaction=False) as pipe:
        pipe.incr(bucket)
        pipe.expire(bucket, WINDOW_SECONDS * 2)
        count, _ = await pipe.execute()
    if int(count) <= limit:
        return None
    return WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS or 1


def too_many(retry_after: int, request_id: str | None, scope_name: str) -> ASGIApp:
    return error_response(
        429,
        "RATE_LIMITED",
        "Too many requests; slow down",
        details={"scope": scope_name, "retry_after_seconds": retry_after},
        request_id=request_id,
        headers={"Retry-After": str(retry_after)},
    )


class IpRateLimitMiddleware:
    def __init__(self, app: ASGIApp, limit_per_minute: int) -> None:
        self.app = app
        self.limit = limit_per_minute

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        redis: Redis = scope["app"].state.resources.redis
        retry_after = await hit(redis, f"ip:{client_ip(scope)}", self.limit)
        if retry_after is not None:
            request_id = scope.get("state", {}).get("request_id")
            await too_many(retry_after, request_id, "ip")(scope, receive, send)
            return
        await self.app(scope, receive, send)
