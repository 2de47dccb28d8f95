"""``/waitlist``: wait for a slot at a clinic, leave, list one's entries, claim an offered slot."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from vet_clinic_api.deps import ActorDep, CallerDep, SessionDep
from vet_clinic_api.errors import responses
from vet_clinic_api.idempotency import IdempotencyKey, idempotent
from vet_clinic_api.pagination import PageDep, PageResponse
from vet_clinic_api.routers.appointments import AppointmentOut, shaped
from vet_core.models.enums import WaitlistStatus
from vet_core.schemas.scheduling import WaitlistEntryCreate, WaitlistEntryResponse
from vet_services.pagination import PageRequest
from vet_services.scheduling import queries, waitlist

router = APIRouter(prefix="/waitlist", tags=["waitlist"], responses=responses())


class ClaimRequest(BaseModel):
    """What an idempotent claim is keyed on (the entry; the claim itself has no body)."""

    entry_id: uuid.UUID


@router.get("", response_model=PageResponse[WaitlistEntryResponse])
async def my_entries(
    actor: ActorDep,
    session: SessionDep,
    page: PageDep,
    statuses: Annotated[
        list[WaitlistStatus] | None,
        Query(alias="status", max_length=len(WaitlistStatus), description="any of these"),
    ] = None,
) -> PageResponse[WaitlistEntryResponse]:
    """The caller's waitlist entries (waiting, offered, booked, …), newest first."""
    result = await queries.my_waitlist_entries(
        session,
        actor,
        PageRequest(limit=page.limit, cursor=page.cursor),
        statuses=tuple(statuses or ()),
    )
    return PageResponse[WaitlistEntryResponse].of(result, WaitlistEntryResponse.model_validate)


@router.post(
    "",
    response_model=WaitlistEntryResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def join(
    body: WaitlistEntryCreate, actor: ActorDep, session: SessionDep
) -> WaitlistEntryResponse:
    """Wait for a slot at a clinic (optionally one veterinarian, within a window)."""
    entry = await waitlist.join_waitlist(
        session,
        actor,
        clinic_id=body.clinic_id,
        pet_id=body.pet_id,
        service_type=body.service_type,
        veterinarian_id=body.veterinarian_id,
        earliest_at=body.earliest_at,
        latest_at=body.latest_at,
        notes=body.notes,
    )
    return WaitlistEntryResponse.model_validate(entry)


@router.delete("/{entry_id}", status_code=status.HTTP_204_NO_CONTENT)
async def leave(entry_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> Response:
    """Leave the waitlist (a waiting or offered entry; a finished one is left as it is)."""
    await waitlist.leave_waitlist(session, actor, entry_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{entry_id}/claim",
    response_model=AppointmentOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def claim(
    entry_id: uuid.UUID,
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Book the slot offered to this entry; the first claimer wins, others get 409
    ``WAITLIST_SLOT_TAKEN`` with alternatives (``WAITLIST_OFFER_NOT_ACTIVE`` when it lapsed)."""
    actor = caller.actor

    async def run() -> tuple[int, Any]:
        appointment = await waitlist.claim_offer(
            session, actor, entry_id, idempotency_key=idempotency_key
        )
        return status.HTTP_201_CREATED, shaped(actor, appointment).model_dump(mode="json")

    return await idempotent(request, caller, idempotency_key, ClaimRequest(entry_id=entry_id), run)
