"""Schemas of clinic and veterinarian reviews: 1–5 stars, one per completed appointment."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field

from vet_core.models.enums import ReviewStatus
from vet_core.schemas.base import (
    CreateSchema,
    EntityResponse,
    Rating,
    UpdateSchema,
)

ReviewTitle = Annotated[str, Field(min_length=1, max_length=200)]
ReviewBody = Annotated[str, Field(min_length=1, max_length=5000)]


class ReviewCreate(CreateSchema):
    """A review of a completed appointment (the service checks completion and ownership)."""

    appointment_id: UUID
    rating: Rating
    title: ReviewTitle | None = None
    body: ReviewBody | None = None


class ClinicReviewCreate(ReviewCreate):
    """A review of the clinic where the appointment took place."""


class VeterinarianReviewCreate(ReviewCreate):
    """A review of the veterinarian who saw the pet."""


class ReviewUpdate(UpdateSchema):
    """The author edits their review."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset({"title", "body"})

    rating: Rating | None = None
    title: ReviewTitle | None = None
    body: ReviewBody | None = None


class ClinicReviewUpdate(ReviewUpdate):
    """Edit a clinic review."""


class VeterinarianReviewUpdate(ReviewUpdate):
    """Edit a veterinarian review."""


class ReviewModeration(UpdateSchema):
    """Staff publish or hide a review."""

    status: ReviewStatus | None = None


class ClinicReviewModeration(ReviewModeration):
    """Clinic staff may also answer a clinic review publicly."""

    response: ReviewBody | None = None


class _ReviewResponse(EntityResponse):
    author_id: UUID
    appointment_id: UUID
    rating: int
    title: str | None
    body: str | None
    status: ReviewStatus


class ClinicReviewResponse(_ReviewResponse):
    """A review of a clinic, with the clinic's public answer."""

    clinic_id: UUID
    response: str | None
    responded_at: datetime | None


class VeterinarianReviewResponse(_ReviewResponse):
    """A review of a veterinarian."""

    veterinarian_id: UUID


__all__ = [
    "ClinicReviewCreate",
    "ClinicReviewModeration",
    "ClinicReviewResponse",
    "ClinicReviewUpdate",
    "ReviewModeration",
    "VeterinarianReviewCreate",
    "VeterinarianReviewResponse",
    "VeterinarianReviewUpdate",
]
