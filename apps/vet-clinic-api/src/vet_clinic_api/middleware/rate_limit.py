"""Rate limits kept in Redis, so that every API process counts together.

Fixed one-minute windows, counted by one small Lua script (``INCR``, and ``EXPIRE`` on a new
window; ``EVALSHA``): per client address and, for a signed-in caller, per user.

A request without ``Authorization: Bearer …`` has its address counted here, before anything else
runs. A request with a bearer token has it counted in the authentication dependency instead,
together with the user's counter in the same round trip (:func:`hit_deferred`); if the request
never gets there (a public route, an unknown path, a token that fails), the address is counted
when the response starts, and the response is replaced by the 429 if the address is over its
limit — the same answer as counting it first, one Redis round trip instead of two.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vet_clinic_api.errors import error_response
from vet_clinic_api.middleware.request import client_ip

WINDOW_SECONDS = 60
EXEMPT_PREFIXES = ("/health",)
#: Where the middleware leaves the address count it deferred (``scope["state"]``).
PENDING_STATE = "rate_limit_ip_pending"

# KEYS: counters in order; ARGV[1]: their TTL, ARGV[2..]: their limits. Counts each key in turn
# and stops at the first one over its limit (later keys are not counted, as when the first
# check refused the request before the second ran). Returns that key's 1-based index, or 0.
_HIT_SCRIPT = """
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then
    redis.call('EXPIRE', key, ARGV[1])
  end
  if count > tonumber(ARGV[i + 1]) then
    return i
  end
end
return 0
"""
_HIT_SHA = hashlib.sha1(
    _HIT_SCRIPT.encode(), usedforsecurity=False
).hexdigest()  # Redis names scripts so


class PendingIpCount:
    """An address count deferred by the middleware, done once by whoever gets there first."""

    __slots__ = ("done", "key", "limit")

    def __init__(self, key: str, limit: int) -> None:
        self.key = key
        self.limit = limit
        self.done = False


def _retry_after() -> int:
    return WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS or 1


def _bucket(key: str) -> str:
    return f"rl:{key}:{int(time.time()) // WINDOW_SECONDS}"


async def hit_many(redis: Redis, counters: list[tuple[str, int]]) -> tuple[int, int] | None:
    """Count one request against each ``(key, limit)`` in one round trip.

    ``None`` when every count is within its limit; else the 0-based index of the first counter
    over its limit and the seconds to wait.
    """
    if not counters:
        return None
    keys = [_bucket(key) for key, _ in counters]
    args: list[str | int] = [*keys, WINDOW_SECONDS * 2, *(limit for _, limit in counters)]
    result: Any
    try:
        result = await redis.evalsha(_HIT_SHA, len(keys), *args)
    except NoScriptError:  # a new or flushed server: EVAL loads it into the script cache
        result = await redis.eval(_HIT_SCRIPT, len(keys), *args)
    over = int(result)
    if over == 0:
        return None
    return over - 1, _retry_after()


async def hit(redis: Redis, key: str, limit: int) -> int | None:
    """Count one request against ``key``; the seconds to wait if over ``limit``, else None."""
    result = await hit_many(redis, [(key, limit)])
    return None if result is None else result[1]


def take_pending(scope: Scope) -> PendingIpCount | None:
    """The deferred address count of this request, marked done; None if there is none."""
    pending: PendingIpCount | None = scope.get("state", {}).get(PENDING_STATE)
    if pending is None or pending.done:
        return None
    pending.done = True
    return pending


def too_many(retry_after: int, request_id: str | None, scope_name: str) -> ASGIApp:
    return error_response(
        429,
        "RATE_LIMITED",
        "Too many requests; slow down",
        details={"scope": scope_name, "retry_after_seconds": retry_after},
        request_id=request_id,
        headers={"Retry-After": str(retry_after)},
    )


def _has_bearer(scope: Scope) -> bool:
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            return value[:7].lower() == b"bearer " and bool(value[7:].strip())
    return False


class IpRateLimitMiddleware:
    def __init__(self, app: ASGIApp, limit_per_minute: int) -> None:
        self.app = app
        self.limit = limit_per_minute

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        redis: Redis = scope["app"].state.resources.redis
        key = f"ip:{client_ip(scope)}"
        state = scope.setdefault("state", {})
        if not _has_bearer(scope):
            retry_after = await hit(redis, key, self.limit)
            if retry_after is not None:
                await too_many(retry_after, state.get("request_id"), "ip")(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return

        # Deferred: counted with the user's counter in the authentication dependency, or here
        # when the response starts if the request never got there.
        state[PENDING_STATE] = PendingIpCount(key, self.limit)
        refused = False

        async def send_checked(message: Message) -> None:
            nonlocal refused
            if refused:
                return
            if message["type"] == "http.response.start":
                pending = take_pending(scope)
                if pending is not None:
                    retry_after = await hit(redis, pending.key, pending.limit)
                    if retry_after is not None:
                        refused = True
                        response = too_many(retry_after, state.get("request_id"), "ip")
                        await response(scope, receive, send)
                        return
            await send(message)

        try:
            await self.app(scope, receive, send_checked)
        except Exception:
            pending = take_pending(scope)
            if pending is not None:  # count it all the same
                await hit(redis, pending.key, pending.limit)
            raise
