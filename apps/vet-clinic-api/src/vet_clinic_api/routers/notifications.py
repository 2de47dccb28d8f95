"""``/notifications``: the caller's in-app notifications, newest first, and marking them read."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from vet_clinic_api.deps import ActorDep, SessionDep
from vet_clinic_api.errors import responses
from vet_clinic_api.pagination import PageDep, PageResponse
from vet_core.schemas.notifications import NotificationResponse
from vet_services.notifications.inbox import list_notifications, mark_read

router = APIRouter(prefix="/notifications", tags=["notifications"], responses=responses())


@router.get("", response_model=PageResponse[NotificationResponse])
async def my_notifications(
    actor: ActorDep, session: SessionDep, page: PageDep, unread: bool = False
) -> PageResponse[NotificationResponse]:
    """The caller's notifications, newest first (``unread=true``: only those not yet read)."""
    result = await list_notifications(
        session, actor, cursor=page.cursor, limit=page.limit, unread_only=unread
    )
    return PageResponse[NotificationResponse].of(result, NotificationResponse.model_validate)


@router.post("/{notification_id}/read", response_model=NotificationResponse)
async def read_notification(
    notification_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> NotificationResponse:
    """Mark one of the caller's notifications read (again: keeps the first time)."""
    return NotificationResponse.model_validate(await mark_read(session, actor, notification_id))
