"""Care reminders, per-channel notification deliveries and in-app notifications.

A delivery's ``dedup_key`` (what is sent, on which channel, for which due time) is unique, so a
job that is retried after a crash inserts the same key again and fails instead of sending twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
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
from vet_core.models.enums import (
    DeliveryStatus,
    NotificationCategory,
    NotificationChannel,
    Recurrence,
    ReminderKind,
    ReminderStatus,
)


class Reminder(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, SoftDeleteMixin, Base):
    """Something due for a pet (vaccination, medication, check-up), possibly recurring."""

    __tablename__ = "reminders"
    __table_args__ = (
        CheckConstraint("recurrence_interval >= 1", name="recurrence_interval_positive"),
        Index(
            "ix_reminders_due_at_pending",
            "due_at",
            postgresql_where=text("status = 'pending' AND deleted_at IS NULL"),
        ),
        Index("ix_reminders_pet_id_due_at", "pet_id", "due_at"),
        Index("ix_reminders_user_id", "user_id"),
    )

    pet_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("pets.id", ondelete="CASCADE"))
    # The recipient; null means "the pet's current owners".
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE")
    )
    kind: Mapped[ReminderKind] = mapped_column(enum_column_type(ReminderKind, "kind"))
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[ReminderStatus] = mapped_column(
        enum_column_type(ReminderStatus, "status"), default=ReminderStatus.PENDING
    )
    recurrence: Mapped[Recurrence] = mapped_column(
        enum_column_type(Recurrence, "recurrence"), default=Recurrence.NONE
    )
    recurrence_interval: Mapped[int] = mapped_column(
        SmallInteger, default=1, server_default=text("1")
    )
    vaccination_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("vaccinations.id", ondelete="SET NULL")
    )
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("appointments.id", ondelete="SET NULL")
    )
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Notification(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """An in-app notification shown to a user until read."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index(
            "ix_notifications_user_id_created_at_unread",
            "user_id",
            "created_at",
            postgresql_where=text("read_at IS NULL"),
        ),
        Index("ix_notifications_user_id_created_at", "user_id", "created_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    category: Mapped[NotificationCategory] = mapped_column(
        enum_column_type(NotificationCategory, "category")
    )
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    action_url: Mapped[str | None] = mapped_column(String(2048))
    data: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotificationDelivery(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """One attempt to deliver one message on one channel (email, SMS, push, in-app)."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index(
            "ix_notification_deliveries_scheduled_for_pending",
            "scheduled_for",
            postgresql_where=text("status IN ('pending', 'sending')"),
        ),
        Index("ix_notification_deliveries_user_id_created_at", "user_id", "created_at"),
        Index(
            "ix_notification_deliveries_provider_message_id",
            "provider",
            "provider_message_id",
            postgresql_where=text("provider_message_id IS NOT NULL"),
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[NotificationChannel] = mapped_column(
        enum_column_type(NotificationChannel, "channel")
    )
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column_type(DeliveryStatus, "status"), default=DeliveryStatus.PENDING
    )
    # e.g. "reminder:<id>:email:2026-11-23T09:00Z"; built by the sender, unique forever.
    dedup_key: Mapped[str] = mapped_column(String(255), unique=True)
    template: Mapped[str] = mapped_column(String(100))
    destination: Mapped[str | None] = mapped_column(String(320))
    reminder_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("reminders.id", ondelete="SET NULL")
    )
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("appointments.id", ondelete="SET NULL")
    )
    notification_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("notifications.id", ondelete="SET NULL")
    )
    payload: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    scheduled_for: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    provider: Mapped[str | None] = mapped_column(String(50))
    provider_message_id: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


__all__ = ["Notification", "NotificationDelivery", "Reminder"]
