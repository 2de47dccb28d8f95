"""Schemas of clinic and veterinarian reviews: 1–5 stars, one per completed appointment.

Moderators (clinic admins of the review's clinic, platform admins) send a
:class:`ReviewModerationCreate` decision; anyone signed in may send a :class:`ReviewReportCreate`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
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
#: Why a review was hidden, shown again, flagged or reported.
ModerationReason = Annotated[str, Field(min_length=1, max_length=2000)]


class ModerationAction(StrEnum):
    """A moderator's decision about a review."""

    HIDE = "hide"  # out of the public lists and the rating aggregate
    UNHIDE = "unhide"  # published again
    FLAG = "flag"  # stays published, marked for a closer look
    UNFLAG = "unflag"  # the closer look found nothing


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


class ReviewModerationCreate(CreateSchema):
    """A moderation decision and the reason for it (kept on the review and in the audit log)."""

    action: ModerationAction
    reason: ModerationReason


class ReviewReportCreate(CreateSchema):
    """Tell the moderators what is wrong with a review (once per person and review)."""

    reason: ModerationReason


class ReviewReportResponse(EntityResponse):
    """A report of a review: exactly one of the two review ids is set."""

    clinic_review_id: UUID | None
    veterinarian_review_id: UUID | None
    reporter_id: UUID
    reason: str


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


class _ModerationFields(EntityResponse):
    flagged_at: datetime | None
    moderation_reason: str | None
    moderated_at: datetime | None
    moderated_by_id: UUID | None
    report_count: int


class ClinicReviewModeratorResponse(ClinicReviewResponse, _ModerationFields):
    """A clinic review as its moderators see it: with the last decision and the reports."""


class VeterinarianReviewModeratorResponse(VeterinarianReviewResponse, _ModerationFields):
    """A veterinarian review as its moderators see it."""


__all__ = [
    "ClinicReviewCreate",
    "ClinicReviewModeration",
    "ClinicReviewModeratorResponse",
    "ClinicReviewResponse",
    "ClinicReviewUpdate",
    "ModerationAction",
    "ReviewModeration",
    "ReviewModerationCreate",
    "ReviewReportCreate",
    "ReviewReportResponse",
    "VeterinarianReviewCreate",
    "VeterinarianReviewModeratorResponse",
    "VeterinarianReviewResponse",
    "VeterinarianReviewUpdate",
]
