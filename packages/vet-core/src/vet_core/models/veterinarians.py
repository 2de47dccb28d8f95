"""Veterinarians, their weekly availability per clinic and their time off."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    Time,
    Uuid,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vet_core.models.base import (
    AuditMixin,
    Base,
    SoftDeleteMixin,
    TimestampMixin,
    UUIDPrimaryKeyMixin,
    enum_values,
    sql_string_list,
)
from vet_core.models.clinics import WEEKDAY_CHECK, within_day_check
from vet_core.models.enums import Species

if TYPE_CHECKING:
    from vet_core.models.identity import User


class Veterinarian(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, SoftDeleteMixin, Base):
    """The professional profile of a user who is a veterinarian (one per user).

    ``rating_average``/``review_count`` are aggregates of the published reviews, kept by the
    review service. ``species_expertise`` holds :class:`Species` values (checked).
    """

    __tablename__ = "veterinarians"
    __table_args__ = (
        CheckConstraint(
            f"species_expertise <@ ARRAY[{sql_string_list(enum_values(Species))}]::varchar[]",
            name="species_expertise_known",
        ),
        CheckConstraint(
            "default_appointment_minutes BETWEEN 5 AND 480",
            name="default_appointment_minutes_range",
        ),
        CheckConstraint("rating_average BETWEEN 1 AND 5", name="rating_average_range"),
        CheckConstraint("review_count >= 0", name="review_count_non_negative"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="RESTRICT"), unique=True
    )
    license_number: Mapped[str] = mapped_column(String(64), unique=True)
    license_state: Mapped[str] = mapped_column(String(64))
    license_expires_on: Mapped[date | None] = mapped_column(Date)
    specializations: Mapped[list[str]] = mapped_column(
        ARRAY(String(100)), default=list, server_default=text("'{}'::character varying[]")
    )
    species_expertise: Mapped[list[str]] = mapped_column(
        ARRAY(String(32)), default=list, server_default=text("'{}'::character varying[]")
    )
    bio: Mapped[str | None] = mapped_column(Text)
    default_appointment_minutes: Mapped[int] = mapped_column(
        SmallInteger, default=30, server_default=text("30")
    )
    accepts_new_patients: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    rating_average: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    review_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    user: Mapped[User] = relationship(lazy="raise")
    availabilities: Mapped[list[VeterinarianAvailability]] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )


class VeterinarianAvailability(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, Base):
    """A weekly rule: the veterinarian works at a clinic on an ISO weekday between two local times.

    The times are in the *clinic's* timezone, so a rule means the same wall-clock hours across
    daylight-saving changes. ``ends_at_local <= starts_at_local`` is a night shift ending the next
    day (``22:00–06:00``); equal times are a 24-hour shift. The rule belongs to the weekday it
    starts on.
    """

    __tablename__ = "veterinarian_availabilities"
    __table_args__ = (
        CheckConstraint(WEEKDAY_CHECK, name="weekday_range"),
        CheckConstraint(
            within_day_check("starts_at_local", "ends_at_local"), name="times_within_day"
        ),
        CheckConstraint(
            "effective_until IS NULL OR effective_until >= effective_from",
            name="effective_until_after_from",
        ),
        Index(
            "ix_veterinarian_availabilities_veterinarian_id_weekday", "veterinarian_id", "weekday"
        ),
        Index("ix_veterinarian_availabilities_clinic_id", "clinic_id"),
    )

    veterinarian_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("veterinarians.id", ondelete="CASCADE")
    )
    clinic_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clinics.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    starts_at_local: Mapped[time] = mapped_column(Time)
    ends_at_local: Mapped[time] = mapped_column(Time)
    effective_from: Mapped[date] = mapped_column(Date, server_default=text("CURRENT_DATE"))
    effective_until: Mapped[date | None] = mapped_column(Date)


class VeterinarianTimeOff(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, Base):
    """An absolute interval in which the veterinarian takes no appointments."""

    __tablename__ = "veterinarian_time_off"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        Index("ix_veterinarian_time_off_veterinarian_id_starts_at", "veterinarian_id", "starts_at"),
    )

    veterinarian_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("veterinarians.id", ondelete="CASCADE")
    )
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(String(200))


__all__ = ["Veterinarian", "VeterinarianAvailability", "VeterinarianTimeOff"]
