"""Clinics, their opening hours and closures, and who works there."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    Time,
    Uuid,
    false,
    func,
    literal_column,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vet_core.models.base import (
    AuditMixin,
    Base,
    SoftDeleteMixin,
    TimestampMixin,
    UUIDPrimaryKeyMixin,
    enum_column_type,
)
from vet_core.models.enums import ClinicStatus, ClinicType, MembershipStatus, StaffRole
from vet_core.models.identity import PHONE_CHECK

#: ISO weekday: 1 = Monday … 7 = Sunday (``date.isoweekday()``).
WEEKDAY_CHECK = "weekday BETWEEN 1 AND 7"


def within_day_check(*columns: str) -> str:
    """CHECK text: each local wall time is before ``24:00``.

    Any pair of times is a valid interval (the rule of :mod:`vet_core.utils.business_hours`): an
    end at or before the start runs into the next day, and equal times mean 24 hours. PostgreSQL
    also accepts ``24:00``, which Python cannot read and which that rule writes ``00:00``. A NULL
    passes, as in every CHECK.
    """
    return " AND ".join(f"{column} < '24:00'" for column in columns)


class Clinic(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, SoftDeleteMixin, Base):
    """A veterinary clinic.

    ``timezone`` (IANA) is the zone every local time of the clinic (hours, availability) is in.
    ``services`` are lowercase slugs; they are indexed for full-text search together with the
    name (``array_to_tsvector`` is immutable, ``array_to_string`` is not, hence the slugs).
    """

    __tablename__ = "clinics"
    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        CheckConstraint(PHONE_CHECK, name="phone_e164"),
        CheckConstraint("country_code ~ '^[A-Z]{2}$'", name="country_code_iso"),
        CheckConstraint("rating_average BETWEEN 1 AND 5", name="rating_average_range"),
        CheckConstraint("review_count >= 0", name="review_count_non_negative"),
        Index(
            "ix_clinics_earth",
            func.ll_to_earth(literal_column("latitude"), literal_column("longitude")),
            postgresql_using="gist",
        ),
        Index(
            "ix_clinics_search",
            func.to_tsvector(literal_column("'simple'::regconfig"), literal_column("name")).op(
                "||"
            )(func.array_to_tsvector(literal_column("services"))),
            postgresql_using="gin",
        ),
        Index(
            "uq_clinics_slug",
            "slug",
            unique=True,
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200))
    clinic_type: Mapped[ClinicType] = mapped_column(
        enum_column_type(ClinicType, "clinic_type"), default=ClinicType.GENERAL_PRACTICE
    )
    status: Mapped[ClinicStatus] = mapped_column(
        enum_column_type(ClinicStatus, "status"), default=ClinicStatus.ACTIVE
    )
    description: Mapped[str | None] = mapped_column(Text)
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country_code: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))
    latitude: Mapped[float] = mapped_column(Double)
    longitude: Mapped[float] = mapped_column(Double)
    phone: Mapped[str | None] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(320))
    website: Mapped[str | None] = mapped_column(String(2048))
    services: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), default=list, server_default=text("'{}'::character varying[]")
    )
    accepts_new_patients: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    accepts_emergencies: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    accepts_walk_ins: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_open_24h: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Per-clinic policies read by the services, by concern: ``scheduling`` (slot interval,
    #: buffers, notice, horizon, cancellation window), ``reminders`` (lead times). Each service
    #: validates its own part and falls back to defaults for what is missing.
    settings: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    rating_average: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    review_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    operating_hours: Mapped[list[ClinicOperatingHours]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(ClinicOperatingHours.weekday, ClinicOperatingHours.opens_at)",
    )
    closures: Mapped[list[ClinicClosure]] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )


class ClinicOperatingHours(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """One opening interval of a clinic on an ISO weekday, in the clinic's local time.

    ``closes_at <= opens_at`` runs past midnight into the next day (``18:00–08:00``), and equal
    times are open 24 hours from ``opens_at``; the interval belongs to the weekday it opens on.
    ``breaks`` is a list of ``{"start": "HH:MM", "end": "HH:MM"}`` inside the interval.
    """

    __tablename__ = "clinic_operating_hours"
    __table_args__ = (
        CheckConstraint(WEEKDAY_CHECK, name="weekday_range"),
        CheckConstraint(within_day_check("opens_at", "closes_at"), name="times_within_day"),
        CheckConstraint("jsonb_typeof(breaks) = 'array'", name="breaks_is_array"),
        Index("uq_clinic_operating_hours_slot", "clinic_id", "weekday", "opens_at", unique=True),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clinics.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens_at: Mapped[time] = mapped_column(Time)
    closes_at: Mapped[time] = mapped_column(Time)
    breaks: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )


class ClinicClosure(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, Base):
    """A holiday or date exception: closed all day, or open with special hours.

    Special hours follow the weekly rule: ``closes_at <= opens_at`` runs past midnight.
    """

    __tablename__ = "clinic_closures"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ends_on_after_starts_on"),
        CheckConstraint(
            "(is_closed_all_day AND opens_at IS NULL AND closes_at IS NULL)"
            " OR (NOT is_closed_all_day AND opens_at IS NOT NULL AND closes_at IS NOT NULL)",
            name="special_hours_consistent",
        ),
        CheckConstraint(within_day_check("opens_at", "closes_at"), name="times_within_day"),
        Index("ix_clinic_closures_clinic_id_starts_on", "clinic_id", "starts_on"),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clinics.id", ondelete="CASCADE"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))
    is_closed_all_day: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    opens_at: Mapped[time | None] = mapped_column(Time)
    closes_at: Mapped[time | None] = mapped_column(Time)


class ClinicMembership(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, Base):
    """A user working at a clinic in a staff role; ended memberships stay as history."""

    __tablename__ = "clinic_memberships"
    __table_args__ = (
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ended_after_started"),
        Index(
            "uq_clinic_memberships_current",
            "clinic_id",
            "user_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_clinic_memberships_user_id", "user_id"),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clinics.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[StaffRole] = mapped_column(enum_column_type(StaffRole, "role"))
    status: Mapped[MembershipStatus] = mapped_column(
        enum_column_type(MembershipStatus, "status"), default=MembershipStatus.ACTIVE
    )
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


__all__ = [
    "Clinic",
    "ClinicClosure",
    "ClinicMembership",
    "ClinicOperatingHours",
    "within_day_check",
]
