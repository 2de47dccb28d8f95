"""The one error envelope of the API, for every error including 404, 405, 422, 429 and 500.

    {"error": {"code", "message", "details", "timestamp", "request_id"}}

A 500 never carries internals: the exception is logged with the request id, the client gets
the id to quote.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from vet_core.database import sqlstate_of
from vet_core.exceptions import VetCoreException

logger = logging.getLogger("vet_clinic_api.errors")

_CODES_BY_STATUS = {
    400: "BAD_REQUEST",
    401: "AUTHENTICATION_REQUIRED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    412: "PRECONDITION_FAILED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    428: "PRECONDITION_REQUIRED",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


class ErrorBody(BaseModel):
    """What went wrong, for people (``message``) and programs (``code``, ``details``)."""

    code: str = Field(examples=["VALIDATION_ERROR"])
    message: str
    details: dict[str, Any] = Field(default_factory=dict)
    timestamp: datetime
    request_id: str | None = None


class ErrorEnvelope(BaseModel):
    """The body of every error response."""

    error: ErrorBody


def _described(status: int, description: str) -> dict[str, Any]:
    return {"model": ErrorEnvelope, "description": description}


#: The error responses every authenticated route can give; declared so OpenAPI tells the truth.
COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _described(401, "Missing or invalid credentials"),
    403: _described(403, "The caller's role may not perform this action"),
    404: _described(404, "Not found, or not visible to the caller"),
    413: _described(413, "The request body is too large"),
    422: _described(422, "The request is invalid"),
    429: _described(429, "Too many requests"),
    500: _described(500, "Unexpected error"),
}
PUBLIC_ERRORS: dict[int | str, dict[str, Any]] = {
    k: v for k, v in COMMON_ERRORS.items() if k not in (401, 403)
}


def responses(*statuses: int, public: bool = False) -> dict[int | str, dict[str, Any]]:
    """The common errors plus route-specific ones (e.g. 409, 412)."""
    base = dict(PUBLIC_ERRORS if public else COMMON_ERRORS)
    for status in statuses:
        base[status] = _described(status, HTTPStatus(status).phrase)
    return base


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    details: Mapping[str, Any] | None = None,
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A response in the error envelope."""
    body = {
        "error": {
            "code": code,
            "message": message,
            "details": dict(details or {}),
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "request_id": request_id,
        }
    }
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


async def _vet_core_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VetCoreException)
    headers: dict[str, str] = {}
    if exc.http_status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="vet-clinic-api"'
    if exc.http_status == 429 and "retry_after_seconds" in exc.details:
        headers["Retry-After"] = str(exc.details["retry_after_seconds"])
    if exc.http_status >= 500:
        logger.error("service error %s: %s", exc.code, exc.message, exc_info=exc)
    return error_response(
        exc.http_status,
        exc.code,
        exc.message,
        details=exc.details,
        request_id=request_id_of(request),
        headers=headers,
    )


def _field_name(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [
        {"field": _field_name(error["loc"]), "issue": error["msg"], "type": error["type"]}
        for error in exc.errors()
    ]
    message = f"Invalid {fields[0]['field']}: {fields[0]['issue']}" if fields else "Invalid input"
    return error_response(
        422,
        "VALIDATION_ERROR",
        message,
        details={"fields": fields},
        request_id=request_id_of(request),
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODES_BY_STATUS.get(exc.status_code, "HTTP_ERROR")
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return error_response(
        exc.status_code,
        code,
        message,
        request_id=request_id_of(request),
        headers=exc.headers,
    )


#: Database refusals that are the client's doing, by SQLSTATE class or code: a safety net under
#: the services' own checks, so that such a refusal is never reported as our failure.
_DATABASE_REFUSALS = {
    "22": (422, "INVALID_INPUT", "A value is not acceptable"),
    "23505": (409, "CONFLICT", "This conflicts with an existing record"),
    "23503": (409, "CONFLICT", "This refers to a record that does not exist or is still in use"),
    "23514": (422, "BUSINESS_RULE_VIOLATION", "A value breaks a rule of the data"),
    "23P01": (409, "CONFLICT", "This overlaps an existing record"),
    "40001": (409, "DATABASE_TRANSACTION_CONFLICT", "A concurrent change won; try again"),
    "40P01": (409, "DATABASE_TRANSACTION_CONFLICT", "A concurrent change won; try again"),
}


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    code = sqlstate_of(exc) or ""
    refusal = _DATABASE_REFUSALS.get(code) or _DATABASE_REFUSALS.get(code[:2])
    if refusal is None:
        raise exc  # a real failure: the request middleware logs it and answers 500
    status, error_code, message = refusal
    return error_response(status, error_code, message, request_id=request_id_of(request))


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through the envelope (500s are caught by the request middleware)."""
    app.add_exception_handler(VetCoreException, _vet_core_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
