"""Reviews of clinics and veterinarians, one per appointment, and reports of them.

That the appointment is *completed* and was booked by the author is checked by the review
service when the review is written (it spans tables); the database guarantees one review per
appointment and the 1–5 range.

Moderation: clinic admins (for their clinic) and platform admins hide a review (``status``
``hidden``: it leaves the public lists and the rating aggregates), publish it again, or flag it
for a closer look (``flagged_at``); each decision keeps its reason and who made it. Signed-in
people report a review (:class:`ReviewReport`, once per person and review); ``report_count``
counts the reports.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from vet_core.models.base import (
    Base,
    SoftDeleteMixin,
    TimestampMixin,
    UUIDPrimaryKeyMixin,
    enum_column_type,
)
from vet_core.models.enums import ReviewStatus


class ModerationMixin:
    """What moderation records on a review: the last decision, its reason, and the reports."""

    flagged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    moderation_reason: Mapped[str | None] = mapped_column(Text)
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    moderated_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    report_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class ClinicReview(UUIDPrimaryKeyMixin, TimestampMixin, SoftDeleteMixin, ModerationMixin, Base):
    """An owner's review of a clinic after a completed appointment."""

    __tablename__ = "clinic_reviews"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint("report_count >= 0", name="report_count_non_negative"),
        Index(
            "ix_clinic_reviews_clinic_id_created_at",
            "clinic_id",
            "created_at",
            postgresql_where=text("deleted_at IS NULL AND status = 'published'"),
        ),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clinics.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    appointment_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("appointments.id", ondelete="RESTRICT"), unique=True
    )
    rating: Mapped[int] = mapped_column(SmallInteger)
    title: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ReviewStatus] = mapped_column(
        enum_column_type(ReviewStatus, "status"), default=ReviewStatus.PUBLISHED
    )
    response: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class VeterinarianReview(
    UUIDPrimaryKeyMixin, TimestampMixin, SoftDeleteMixin, ModerationMixin, Base
):
    """An owner's review of the veterinarian who saw their pet."""

    __tablename__ = "veterinarian_reviews"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint("report_count >= 0", name="report_count_non_negative"),
        Index(
            "ix_veterinarian_reviews_veterinarian_id_created_at",
            "veterinarian_id",
            "created_at",
            postgresql_where=text("deleted_at IS NULL AND status = 'published'"),
        ),
    )

    veterinarian_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("veterinarians.id", ondelete="CASCADE")
    )
    author_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    appointment_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("appointments.id", ondelete="RESTRICT"), unique=True
    )
    rating: Mapped[int] = mapped_column(SmallInteger)
    title: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ReviewStatus] = mapped_column(
        enum_column_type(ReviewStatus, "status"), default=ReviewStatus.PUBLISHED
    )


class ReviewReport(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """Someone's report that a review breaks the rules (of exactly one review, once each)."""

    __tablename__ = "review_reports"
    __table_args__ = (
        CheckConstraint(
            "num_nonnulls(clinic_review_id, veterinarian_review_id) = 1", name="one_review"
        ),
        UniqueConstraint("clinic_review_id", "reporter_id"),
        UniqueConstraint("veterinarian_review_id", "reporter_id"),
        Index("ix_review_reports_reporter_id", "reporter_id"),
    )

    clinic_review_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("clinic_reviews.id", ondelete="CASCADE")
    )
    veterinarian_review_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("veterinarian_reviews.id", ondelete="CASCADE")
    )
    reporter_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)


__all__ = ["ClinicReview", "ModerationMixin", "ReviewReport", "VeterinarianReview"]
