"""``/audit-log``: who did what to which record, for clinic admins (their clinic) and platform
admins (everything), newest first."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from vet_clinic_api.deps import ActorDep, ReadSessionDep
from vet_clinic_api.errors import responses
from vet_clinic_api.pagination import PageDep, PageResponse
from vet_core.models.enums import AuditAction
from vet_core.schemas.audit import AuditLogResponse
from vet_services.audit_queries import list_audit_entries

router = APIRouter(prefix="/audit-log", tags=["audit"], responses=responses())


@router.get("", response_model=PageResponse[AuditLogResponse])
async def audit_log(
    actor: ActorDep,
    session: ReadSessionDep,
    page: PageDep,
    clinic_id: Annotated[
        uuid.UUID | None,
        Query(description="the clinic whose history to read (required unless platform admin)"),
    ] = None,
    entity_type: Annotated[
        str | None, Query(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    ] = None,
    entity_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    action: Annotated[list[AuditAction] | None, Query()] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    request_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> PageResponse[AuditLogResponse]:
    """Audit entries matching every filter given, newest first."""
    result = await list_audit_entries(
        session,
        actor,
        clinic_id=clinic_id,
        entity_type=entity_type,
        entity_id=entity_id,
        actor_id=actor_id,
        actions=action or (),
        since=since,
        until=until,
        request_id=request_id,
        limit=page.limit,
        cursor=page.cursor,
    )
    return PageResponse[AuditLogResponse](
        items=[AuditLogResponse.model_validate(entry) for entry in result.items],
        next_cursor=result.next_cursor,
        limit=page.limit,
    )
