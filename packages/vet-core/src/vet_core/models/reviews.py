"""Reviews of clinics and veterinarians, one per appointment.

That the appointment is *completed* and was booked by the author is checked by the review
service when the review is written (it spans tables); the database guarantees one review per
appointment and the 1–5 range.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
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


class ClinicReview(UUIDPrimaryKeyMixin, TimestampMixin, SoftDeleteMixin, Base):
    """An owner's review of a clinic after a completed appointment."""

    __tablename__ = "clinic_reviews"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
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


class VeterinarianReview(UUIDPrimaryKeyMixin, TimestampMixin, SoftDeleteMixin, Base):
    """An owner's review of the veterinarian who saw their pet."""

    __tablename__ = "veterinarian_reviews"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
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


__all__ = ["ClinicReview", "VeterinarianReview"]
