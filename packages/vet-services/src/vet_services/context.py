"""Per-request context the services read without threading it through every call.

The API (or a job) sets it once at the edge; services read it where they record history
(the audit log carries the request id and client address).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Where the current operation came from."""

    request_id: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None


#: Outside any request (a script, a test): no request id, no client. Frozen, so safe to share.
NO_REQUEST = RequestContext()

request_context: ContextVar[RequestContext] = ContextVar("request_context", default=NO_REQUEST)
