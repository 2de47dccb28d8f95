"""Request id, structured access log, and the last line of defence for unexpected errors.

The ``X-Request-ID`` header is taken when a client or proxy sends a sane one, generated
otherwise, echoed on the response, put into the services' request context (the audit log
reads it) and into every log line of the request.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vet_clinic_api.errors import error_response
from vet_services.context import RequestContext, request_context

logger = logging.getLogger("vet_clinic_api.access")
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request's fields when the record carries them."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "user_id", "method", "route", "path", "status", "duration_ms"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def client_ip(scope: Scope) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


def _has_nul(query_string: bytes) -> bool:
    return b"\x00" in query_string or b"%00" in query_string


class RequestMiddleware:
    """Outermost middleware: ids, access log, and a 500 envelope for anything unhandled."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SANE_ID.match(given) else f"req_{uuid.uuid4().hex}"
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_context.set(
            RequestContext(
                request_id=request_id,
                ip_address=client_ip(scope),
                user_agent=headers.get(b"user-agent", b"").decode("latin-1")[:512] or None,
            )
        )
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            if scope["type"] == "http" and _has_nul(scope.get("query_string", b"")):
                # PostgreSQL text cannot hold NUL; refuse it at the door, clearly.
                response = error_response(
                    422,
                    "VALIDATION_ERROR",
                    "The query string contains a NUL character",
                    details={"fields": [{"field": "query", "issue": "NUL character"}]},
                    request_id=request_id,
                )
                await response(scope, receive, send_with_id)
                return
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error", extra={"request_id": request_id})
            if scope["type"] == "http" and not response_started:
                response = error_response(
                    500,
                    "INTERNAL_ERROR",
                    "An unexpected error occurred; quote the request id when reporting it",
                    request_id=request_id,
                )
                await response(scope, receive, send_with_id)
        finally:
            request_context.reset(token)
            if scope["type"] == "http":
                route = scope.get("route")
                logger.info(
                    "request",
                    extra={
                        "request_id": request_id,
                        "user_id": scope["state"].get("user_id"),
                        "method": scope.get("method"),
                        "route": getattr(route, "path", None),
                        "path": scope.get("path"),
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
