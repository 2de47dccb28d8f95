"""Appointments, short-lived slot holds during checkout, and the waitlist.

The database itself makes a double-booked veterinarian impossible: an ``EXCLUDE USING gist``
constraint (btree_gist) rejects two *active* appointments of one veterinarian whose
``[starts_at, ends_at)`` ranges overlap, however many requests race.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Uuid,
    column,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vet_core.models.base import (
    AuditMixin,
    Base,
    SoftDeleteMixin,
    TimestampMixin,
    UUIDPrimaryKeyMixin,
    enum_column_type,
    sql_string_list,
)
from vet_core.models.enums import (
    ACTIVE_APPOINTMENT_STATUSES,
    AppointmentPriority,
    AppointmentStatus,
    HoldStatus,
    ServiceType,
    WaitlistStatus,
)

if TYPE_CHECKING:
    from vet_core.models.clinics import Clinic
    from vet_core.models.identity import User
    from vet_core.models.pets import Pet
    from vet_core.models.veterinarians import Veterinarian


#: The predicate of the exclusion constraint: which appointments occupy the veterinarian.
ACTIVE_APPOINTMENT_PREDICATE = (
    f"status IN ({sql_string_list([s.value for s in ACTIVE_APPOINTMENT_STATUSES])})"
    " AND deleted_at IS NULL"
)
APPOINTMENT_OVERLAP_CONSTRAINT = "ex_appointments_veterinarian_overlap"
CURRENCY_CHECK = "currency ~ '^[A-Z]{3}$'"


class Appointment(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, SoftDeleteMixin, Base):
    """A visit of a pet to a veterinarian at a clinic.

    ``notes`` are visible to the owner; ``internal_notes`` only to staff. ``version`` is bumped
    by the ORM on every update (optimistic concurrency: a stale update raises
    ``StaleDataError``). A rescheduled appointment is cancelled and a new one points back at it
    through ``rescheduled_from_id``.
    """

    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        CheckConstraint("price >= 0", name="price_non_negative"),
        CheckConstraint(CURRENCY_CHECK, name="currency_iso"),
        CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_at_iff_cancelled"
        ),
        CheckConstraint(
            "status <> 'completed' OR completed_at IS NOT NULL", name="completed_at_when_completed"
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(
            "rescheduled_from_id IS NULL OR rescheduled_from_id <> id",
            name="not_rescheduled_from_self",
        ),
        ExcludeConstraint(
            (column("veterinarian_id"), "="),
            (
                func.tstzrange(column("starts_at"), column("ends_at"), literal_column("'[)'")),
                "&&",
            ),
            name=APPOINTMENT_OVERLAP_CONSTRAINT,
            using="gist",
            where=text(ACTIVE_APPOINTMENT_PREDICATE),
        ),
        Index(
            "ix_appointments_veterinarian_id_starts_at",
            "veterinarian_id",
            "starts_at",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(
            "ix_appointments_clinic_id_starts_at",
            "clinic_id",
            "starts_at",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(
            "ix_appointments_pet_id_starts_at",
            "pet_id",
            "starts_at",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(
            "ix_appointments_booked_by_id_starts_at",
            "booked_by_id",
            "starts_at",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_appointments_status_starts_at", "status", "starts_at"),
        # The self-reference's ON DELETE SET NULL looks successors up by it; without an index
        # deleting one appointment scans them all.
        Index(
            "ix_appointments_rescheduled_from_id",
            "rescheduled_from_id",
            postgresql_where=text("rescheduled_from_id IS NOT NULL"),
        ),
    )

    pet_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("pets.id", ondelete="RESTRICT"))
    booked_by_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="RESTRICT")
    )
    veterinarian_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("veterinarians.id", ondelete="RESTRICT")
    )
    clinic_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("clinics.id", ondelete="RESTRICT")
    )
    service_type: Mapped[ServiceType] = mapped_column(enum_column_type(ServiceType, "service_type"))
    status: Mapped[AppointmentStatus] = mapped_column(
        enum_column_type(AppointmentStatus, "status"), default=AppointmentStatus.REQUESTED
    )
    priority: Mapped[AppointmentPriority] = mapped_column(
        enum_column_type(AppointmentPriority, "priority"), default=AppointmentPriority.ROUTINE
    )
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default=text("'USD'"))
    reason: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    internal_notes: Mapped[str | None] = mapped_column(Text)
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    rescheduled_from_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("appointments.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    pet: Mapped[Pet] = relationship(lazy="raise")
    veterinarian: Mapped[Veterinarian] = relationship(lazy="raise")
    clinic: Mapped[Clinic] = relationship(lazy="raise")
    booked_by: Mapped[User] = relationship(foreign_keys=[booked_by_id], lazy="raise")

    __mapper_args__: dict[str, Any] = {  # noqa: RUF012 - read by the mapper once
        "eager_defaults": True,
        "version_id_col": version,
    }


class AppointmentHold(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """A slot held for a few minutes while the owner completes checkout.

    Expired holds are ignored by availability queries even before a job marks them ``expired``.
    """

    __tablename__ = "appointment_holds"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        CheckConstraint("expires_at > created_at", name="expires_after_created"),
        Index(
            "ix_appointment_holds_veterinarian_id_starts_at_active",
            "veterinarian_id",
            "starts_at",
            postgresql_where=text("status = 'active'"),
        ),
        Index(
            "ix_appointment_holds_expires_at_active",
            "expires_at",
            postgresql_where=text("status = 'active'"),
        ),
    )

    veterinarian_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("veterinarians.id", ondelete="CASCADE")
    )
    clinic_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clinics.id", ondelete="CASCADE"))
    held_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    pet_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("pets.id", ondelete="SET NULL")
    )
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[HoldStatus] = mapped_column(
        enum_column_type(HoldStatus, "status"), default=HoldStatus.ACTIVE
    )
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("appointments.id", ondelete="SET NULL")
    )


class WaitlistEntry(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, Base):
    """An owner waiting for a slot at a clinic (optionally with one veterinarian)."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint(
            "latest_at IS NULL OR earliest_at IS NULL OR latest_at > earliest_at",
            name="window_ordered",
        ),
        Index(
            "ix_waitlist_entries_clinic_id_created_at_waiting",
            "clinic_id",
            "created_at",
            postgresql_where=text("status = 'waiting'"),
        ),
        Index("ix_waitlist_entries_pet_id", "pet_id"),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clinics.id", ondelete="CASCADE"))
    veterinarian_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("veterinarians.id", ondelete="SET NULL")
    )
    pet_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("pets.id", ondelete="CASCADE"))
    requested_by_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE")
    )
    service_type: Mapped[ServiceType] = mapped_column(enum_column_type(ServiceType, "service_type"))
    status: Mapped[WaitlistStatus] = mapped_column(
        enum_column_type(WaitlistStatus, "status"), default=WaitlistStatus.WAITING
    )
    earliest_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    latest_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notes: Mapped[str | None] = mapped_column(Text)
    offered_appointment_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("appointments.id", ondelete="SET NULL")
    )
    offered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    offer_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


__all__ = [
    "ACTIVE_APPOINTMENT_PREDICATE",
    "APPOINTMENT_OVERLAP_CONSTRAINT",
    "CURRENCY_CHECK",
    "Appointment",
    "AppointmentHold",
    "WaitlistEntry",
]
