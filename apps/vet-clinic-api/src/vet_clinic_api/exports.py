"""The answer to an export request, shared by the clinic report and the owner's own data."""

from __future__ import annotations

import uuid

from pydantic import BaseModel

from vet_services.reports import ExportRequest


class ExportAccepted(BaseModel):
    """An export on its way: the file is built in the background and its link sent by e-mail."""

    export_id: uuid.UUID
    kind: str


def export_id_for(actor_key: str, idempotency_key: str | None) -> uuid.UUID | None:
    """The same key from the same caller names the same export, so a retry asks once."""
    if idempotency_key is None:
        return None
    return uuid.uuid5(uuid.NAMESPACE_URL, f"vet-export:{actor_key}:{idempotency_key}")


def accepted(export: ExportRequest) -> ExportAccepted:
    return ExportAccepted(export_id=export.export_id, kind=export.kind)
