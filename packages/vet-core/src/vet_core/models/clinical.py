"""Clinical history: health records, vaccinations and prescriptions.

Foreign keys to veterinarians are RESTRICT: a veterinarian who signed clinical history cannot
be deleted out from under it (soft-delete the profile instead). History belongs to the pet and
is CASCADE-deleted only when the pet row itself is erased.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from vet_core.models.base import (
    AuditMixin,
    Base,
    SoftDeleteMixin,
    TimestampMixin,
    UUIDPrimaryKeyMixin,
    enum_column_type,
)
from vet_core.models.enums import HealthRecordType


class HealthRecord(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, SoftDeleteMixin, Base):
    """An entry of a pet's medical history (examination, diagnosis, lab result, …).

    Once ``locked_at`` is set (the record is signed) the row cannot change any more: the
    trigger ``trg_health_records_forbid_locked_update`` of migration 0002 refuses every UPDATE.
    Corrections are new ``addendum`` records pointing at it through ``amends_id``.
    """

    __tablename__ = "health_records"
    __table_args__ = (
        CheckConstraint("jsonb_typeof(attachments) = 'array'", name="attachments_is_array"),
        CheckConstraint(
            "(record_type = 'addendum') = (amends_id IS NOT NULL)", name="addendum_iff_amends"
        ),
        CheckConstraint("locked_at IS NULL OR locked_by IS NOT NULL", name="locked_by_when_locked"),
        Index(
            "ix_health_records_pet_id_occurred_at",
            "pet_id",
            "occurred_at",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_health_records_veterinarian_id", "veterinarian_id"),
        Index("ix_health_records_appointment_id", "appointment_id"),
    )

    pet_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("pets.id", ondelete="CASCADE"))
    record_type: Mapped[HealthRecordType] = mapped_column(
        enum_column_type(HealthRecordType, "record_type")
    )
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    veterinarian_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("veterinarians.id", ondelete="RESTRICT")
    )
    clinic_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("clinics.id", ondelete="SET NULL")
    )
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("appointments.id", ondelete="SET NULL")
    )
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    locked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    amends_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("health_records.id", ondelete="RESTRICT")
    )

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class Vaccination(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, SoftDeleteMixin, Base):
    """A vaccine given to a pet; ``next_due_on`` drives vaccination reminders."""

    __tablename__ = "vaccinations"
    __table_args__ = (
        Index(
            "ix_vaccinations_pet_id_administered_at",
            "pet_id",
            "administered_at",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(
            "ix_vaccinations_next_due_on",
            "next_due_on",
            postgresql_where=text("deleted_at IS NULL AND next_due_on IS NOT NULL"),
        ),
    )

    pet_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("pets.id", ondelete="CASCADE"))
    health_record_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("health_records.id", ondelete="SET NULL")
    )
    vaccine_name: Mapped[str] = mapped_column(String(200))
    manufacturer: Mapped[str | None] = mapped_column(String(200))
    lot_number: Mapped[str | None] = mapped_column(String(64))
    administered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    administered_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("veterinarians.id", ondelete="RESTRICT")
    )
    clinic_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("clinics.id", ondelete="SET NULL")
    )
    next_due_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)


class Prescription(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, SoftDeleteMixin, Base):
    """A medication prescribed to a pet."""

    __tablename__ = "prescriptions"
    __table_args__ = (
        CheckConstraint("refills_allowed >= 0", name="refills_allowed_non_negative"),
        CheckConstraint(
            "refills_used BETWEEN 0 AND refills_allowed", name="refills_used_within_allowed"
        ),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "discontinued_at IS NULL OR discontinued_at >= prescribed_at",
            name="discontinued_after_prescribed",
        ),
        Index(
            "ix_prescriptions_pet_id_prescribed_at",
            "pet_id",
            "prescribed_at",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_prescriptions_prescribed_by_id", "prescribed_by_id"),
    )

    pet_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("pets.id", ondelete="CASCADE"))
    prescribed_by_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("veterinarians.id", ondelete="RESTRICT")
    )
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("appointments.id", ondelete="SET NULL")
    )
    medication_name: Mapped[str] = mapped_column(String(200))
    dosage: Mapped[str] = mapped_column(String(100))
    frequency: Mapped[str] = mapped_column(String(100))
    route: Mapped[str | None] = mapped_column(String(50))
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    refills_allowed: Mapped[int] = mapped_column(SmallInteger, default=0, server_default=text("0"))
    refills_used: Mapped[int] = mapped_column(SmallInteger, default=0, server_default=text("0"))
    instructions: Mapped[str | None] = mapped_column(Text)
    prescribed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    valid_until: Mapped[date | None] = mapped_column(Date)
    discontinued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


__all__ = [
    "HealthRecord",
    "Prescription",
    "Vaccination",
]
