"""``ETag`` on reads and a required ``If-Match`` on writes of clinical records.

The version itself is the service's (``vet_services.clinical``): the API only carries it in
HTTP headers. A write without ``If-Match`` is refused with 428 so that no client can overwrite
a colleague's change by accident; a stale one gets the service's 412.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from vet_core.exceptions import ConflictException

IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=200, description="the ETag of the version you edit"),
]


class PreconditionRequired(ConflictException):
    code = "PRECONDITION_REQUIRED"
    http_status = 428
    default_message = "Send If-Match with the ETag you read, so that no change is lost"


def quoted(version: str) -> str:
    """An ETag header value for a version token."""
    return f'"{version}"'


def require_if_match(if_match: str | None) -> str:
    """The ``If-Match`` value, or 428 when the client did not send one."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired
    return if_match
