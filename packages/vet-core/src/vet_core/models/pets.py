"""Pets, who owns them (with the history of transfers) and their weight history."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
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
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vet_core.models.base import (
    AuditMixin,
    Base,
    SoftDeleteMixin,
    TimestampMixin,
    UUIDPrimaryKeyMixin,
    enum_column_type,
)
from vet_core.models.enums import (
    OwnershipEndReason,
    OwnershipRole,
    PetSex,
    PetSizeCategory,
    PetStatus,
    Species,
)

if TYPE_CHECKING:
    from vet_core.models.identity import User


#: ISO 11784/11785 animal identification: exactly 15 digits.
MICROCHIP_PATTERN = r"^[0-9]{15}$"


class Pet(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, SoftDeleteMixin, Base):
    """A pet. ``owner_id`` is the current primary owner (denormalised from :class:`PetOwnership`).

    Age is known either as ``birth_date`` or approximately (years + months, as estimated on
    ``age_estimated_on``).
    """

    __tablename__ = "pets"
    __table_args__ = (
        CheckConstraint(f"microchip ~ '{MICROCHIP_PATTERN}'", name="microchip_format"),
        CheckConstraint(
            "approximate_age_months BETWEEN 0 AND 11", name="approximate_age_months_range"
        ),
        CheckConstraint(
            "approximate_age_years BETWEEN 0 AND 100", name="approximate_age_years_range"
        ),
        CheckConstraint(
            "birth_date IS NOT NULL OR approximate_age_years IS NOT NULL"
            " OR approximate_age_months IS NOT NULL",
            name="birth_date_or_approximate_age",
        ),
        CheckConstraint(
            "(status = 'deceased') = (deceased_on IS NOT NULL)", name="deceased_on_iff_deceased"
        ),
        CheckConstraint(
            "deceased_on IS NULL OR birth_date IS NULL OR deceased_on >= birth_date",
            name="deceased_after_birth",
        ),
        CheckConstraint("btrim(name) <> ''", name="name_not_blank"),
        Index(
            "uq_pets_microchip",
            "microchip",
            unique=True,
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_pets_owner_id", "owner_id", postgresql_where=text("deleted_at IS NULL")),
        Index(
            "ix_pets_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
    )

    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(100))
    species: Mapped[Species] = mapped_column(enum_column_type(Species, "species"))
    breed: Mapped[str | None] = mapped_column(String(100))
    is_mixed_breed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    sex: Mapped[PetSex] = mapped_column(enum_column_type(PetSex, "sex"), default=PetSex.UNKNOWN)
    is_neutered: Mapped[bool | None] = mapped_column(Boolean)
    birth_date: Mapped[date | None] = mapped_column(Date)
    approximate_age_years: Mapped[int | None] = mapped_column(SmallInteger)
    approximate_age_months: Mapped[int | None] = mapped_column(SmallInteger)
    age_estimated_on: Mapped[date | None] = mapped_column(Date)
    color: Mapped[str | None] = mapped_column(String(100))
    microchip: Mapped[str | None] = mapped_column(String(15))
    size_category: Mapped[PetSizeCategory | None] = mapped_column(
        enum_column_type(PetSizeCategory, "size_category")
    )
    status: Mapped[PetStatus] = mapped_column(
        enum_column_type(PetStatus, "status"), default=PetStatus.ACTIVE
    )
    deceased_on: Mapped[date | None] = mapped_column(Date)
    photo_keys: Mapped[list[str]] = mapped_column(
        ARRAY(String(512)), default=list, server_default=text("'{}'::character varying[]")
    )
    allergies: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)

    owner: Mapped[User] = relationship(lazy="raise")
    ownerships: Mapped[list[PetOwnership]] = relationship(
        back_populates="pet", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    weight_records: Mapped[list[WeightRecord]] = relationship(
        back_populates="pet",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="WeightRecord.measured_at",
    )


class PetOwnership(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, Base):
    """A user's (co-)ownership of a pet over a period; ended rows are the transfer history.

    At most one current primary owner per pet, and a user holds at most one current row per pet.
    """

    __tablename__ = "pet_ownerships"
    __table_args__ = (
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ended_after_started"),
        CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL)", name="end_reason_iff_ended"),
        Index(
            "uq_pet_ownerships_current_primary",
            "pet_id",
            unique=True,
            postgresql_where=text("role = 'primary' AND ended_at IS NULL"),
        ),
        Index(
            "uq_pet_ownerships_current_owner",
            "pet_id",
            "user_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index(
            "ix_pet_ownerships_user_id_current",
            "user_id",
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    pet_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("pets.id", ondelete="CASCADE"))
    # RESTRICT: ownership history must not silently vanish with a user row.
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="RESTRICT"))
    role: Mapped[OwnershipRole] = mapped_column(
        enum_column_type(OwnershipRole, "role"), default=OwnershipRole.PRIMARY
    )
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[OwnershipEndReason | None] = mapped_column(
        enum_column_type(OwnershipEndReason, "end_reason")
    )
    transfer_note: Mapped[str | None] = mapped_column(Text)

    pet: Mapped[Pet] = relationship(back_populates="ownerships", lazy="raise")
    user: Mapped[User] = relationship(lazy="raise")


class WeightRecord(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, Base):
    """One weighing of a pet, in kilograms."""

    __tablename__ = "weight_records"
    __table_args__ = (
        CheckConstraint("weight_kg > 0", name="weight_positive"),
        Index("ix_weight_records_pet_id_measured_at", "pet_id", "measured_at"),
    )

    pet_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("pets.id", ondelete="CASCADE"))
    weight_kg: Mapped[Decimal] = mapped_column(Numeric(7, 3))
    measured_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(String(500))

    pet: Mapped[Pet] = relationship(back_populates="weight_records", lazy="raise")


__all__ = ["MICROCHIP_PATTERN", "Pet", "PetOwnership", "WeightRecord"]
