"""Reviews of clinics and veterinarians: 1–5 stars, one per completed appointment.

Clinic and veterinarian reviews are separate resources (``/reviews/clinic/...`` and
``/reviews/veterinarian/...``); the published reviews of one clinic or veterinarian are public.
Clinic admins (for their clinic) and platform admins moderate a review (``.../moderation``:
hide, unhide, flag, unflag, with a reason); a hidden review leaves the public lists and the
rating. Anyone signed in may report a published review once (``.../report``).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from vet_clinic_api.deps import ActorDep, SessionDep
from vet_clinic_api.errors import responses
from vet_core.models.reviews import ClinicReview, VeterinarianReview
from vet_core.schemas.reviews import (
    ClinicReviewCreate,
    ClinicReviewModeratorResponse,
    ClinicReviewResponse,
    ClinicReviewUpdate,
    ReviewModerationCreate,
    ReviewReportCreate,
    ReviewReportResponse,
    VeterinarianReviewCreate,
    VeterinarianReviewModeratorResponse,
    VeterinarianReviewResponse,
    VeterinarianReviewUpdate,
)
from vet_services import reviews as service

router = APIRouter(tags=["reviews"])

Limit = Annotated[int, Query(ge=1, le=100, description="items per page")]
Offset = Annotated[int, Query(ge=0, le=100_000, description="items to skip")]


@router.post(
    "/reviews/clinic",
    response_model=ClinicReviewResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def review_clinic(
    data: ClinicReviewCreate, actor: ActorDep, session: SessionDep
) -> ClinicReviewResponse:
    """Review the clinic of a completed appointment the caller booked or whose pet they own."""
    review = await service.create_clinic_review(session, actor, data)
    return ClinicReviewResponse.model_validate(review)


@router.post(
    "/reviews/veterinarian",
    response_model=VeterinarianReviewResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def review_veterinarian(
    data: VeterinarianReviewCreate, actor: ActorDep, session: SessionDep
) -> VeterinarianReviewResponse:
    """Review the veterinarian of a completed appointment."""
    review = await service.create_veterinarian_review(session, actor, data)
    return VeterinarianReviewResponse.model_validate(review)


@router.patch(
    "/reviews/clinic/{review_id}", response_model=ClinicReviewResponse, responses=responses()
)
async def edit_clinic_review(
    review_id: uuid.UUID, data: ClinicReviewUpdate, actor: ActorDep, session: SessionDep
) -> ClinicReviewResponse:
    """The author edits their clinic review."""
    review = await service.update_review(session, actor, ClinicReview, review_id, data)
    return ClinicReviewResponse.model_validate(review)


@router.patch(
    "/reviews/veterinarian/{review_id}",
    response_model=VeterinarianReviewResponse,
    responses=responses(),
)
async def edit_veterinarian_review(
    review_id: uuid.UUID, data: VeterinarianReviewUpdate, actor: ActorDep, session: SessionDep
) -> VeterinarianReviewResponse:
    """The author edits their veterinarian review."""
    review = await service.update_review(session, actor, VeterinarianReview, review_id, data)
    return VeterinarianReviewResponse.model_validate(review)


@router.delete(
    "/reviews/clinic/{review_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses()
)
async def delete_clinic_review(review_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> None:
    """The author withdraws their clinic review."""
    await service.delete_review(session, actor, ClinicReview, review_id)


@router.delete(
    "/reviews/veterinarian/{review_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(),
)
async def delete_veterinarian_review(
    review_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> None:
    """The author withdraws their veterinarian review."""
    await service.delete_review(session, actor, VeterinarianReview, review_id)


@router.post(
    "/reviews/clinic/{review_id}/moderation",
    response_model=ClinicReviewModeratorResponse,
    responses=responses(),
)
async def moderate_clinic_review(
    review_id: uuid.UUID, data: ReviewModerationCreate, actor: ActorDep, session: SessionDep
) -> ClinicReviewModeratorResponse:
    """Clinic admins of the clinic (or platform admins) hide, unhide, flag or unflag a review."""
    review = await service.moderate_review(session, actor, ClinicReview, review_id, data)
    return ClinicReviewModeratorResponse.model_validate(review)


@router.post(
    "/reviews/veterinarian/{review_id}/moderation",
    response_model=VeterinarianReviewModeratorResponse,
    responses=responses(),
)
async def moderate_veterinarian_review(
    review_id: uuid.UUID, data: ReviewModerationCreate, actor: ActorDep, session: SessionDep
) -> VeterinarianReviewModeratorResponse:
    """Clinic admins of the visit's clinic (or platform admins) moderate a veterinarian review."""
    review = await service.moderate_review(session, actor, VeterinarianReview, review_id, data)
    return VeterinarianReviewModeratorResponse.model_validate(review)


@router.post(
    "/reviews/clinic/{review_id}/report",
    response_model=ReviewReportResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def report_clinic_review(
    review_id: uuid.UUID, data: ReviewReportCreate, actor: ActorDep, session: SessionDep
) -> ReviewReportResponse:
    """Report a published clinic review to its moderators (once; 409 the second time)."""
    report = await service.report_review(session, actor, ClinicReview, review_id, data)
    return ReviewReportResponse.model_validate(report)


@router.post(
    "/reviews/veterinarian/{review_id}/report",
    response_model=ReviewReportResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def report_veterinarian_review(
    review_id: uuid.UUID, data: ReviewReportCreate, actor: ActorDep, session: SessionDep
) -> ReviewReportResponse:
    """Report a published veterinarian review to its moderators (once)."""
    report = await service.report_review(session, actor, VeterinarianReview, review_id, data)
    return ReviewReportResponse.model_validate(report)


@router.get(
    "/clinics/{clinic_id}/reviews",
    response_model=list[ClinicReviewResponse],
    responses=responses(public=True),
)
async def clinic_reviews(
    clinic_id: uuid.UUID, session: SessionDep, limit: Limit = 20, offset: Offset = 0
) -> list[ClinicReviewResponse]:
    """A clinic's published reviews, newest first; public."""
    found = await service.list_clinic_reviews(session, clinic_id, limit=limit, offset=offset)
    return [ClinicReviewResponse.model_validate(r) for r in found]


@router.get(
    "/veterinarians/{veterinarian_id}/reviews",
    response_model=list[VeterinarianReviewResponse],
    responses=responses(public=True),
)
async def veterinarian_reviews(
    veterinarian_id: uuid.UUID, session: SessionDep, limit: Limit = 20, offset: Offset = 0
) -> list[VeterinarianReviewResponse]:
    """A veterinarian's published reviews, newest first; public."""
    found = await service.list_veterinarian_reviews(
        session, veterinarian_id, limit=limit, offset=offset
    )
    return [VeterinarianReviewResponse.model_validate(r) for r in found]


__all__ = ["router"]
