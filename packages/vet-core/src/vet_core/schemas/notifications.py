"""Schemas of reminders, in-app notifications and per-channel delivery records."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar
from uuid import UUID

from pydantic import Field, model_validator

from vet_core.models.enums import (
    DeliveryStatus,
    NotificationCategory,
    NotificationChannel,
    Recurrence,
    ReminderKind,
    ReminderStatus,
)
from vet_core.schemas.base import (
    AwareDatetime,
    CreateSchema,
    EntityResponse,
    LongText,
    ORMModel,
    ShortText,
    UpdateSchema,
)
from vet_core.schemas.identity import HttpUrl

RecurrenceInterval = Annotated[int, Field(ge=1, le=365)]


class ReminderCreate(CreateSchema):
    """Something due for a pet; ``recurrence_interval`` counts units of ``recurrence``."""

    pet_id: UUID
    user_id: UUID | None = None
    kind: ReminderKind
    title: ShortText
    notes: LongText | None = None
    due_at: AwareDatetime
    recurrence: Recurrence = Recurrence.NONE
    recurrence_interval: RecurrenceInterval = 1
    vaccination_id: UUID | None = None
    appointment_id: UUID | None = None

    @model_validator(mode="after")
    def _interval_needs_recurrence(self) -> ReminderCreate:
        if self.recurrence is Recurrence.NONE and self.recurrence_interval != 1:
            raise ValueError("recurrence_interval needs a recurrence other than none")
        return self


class ReminderUpdate(UpdateSchema):
    """Reschedule, rename or complete/dismiss a reminder."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset({"notes"})

    title: ShortText | None = None
    notes: LongText | None = None
    due_at: AwareDatetime | None = None
    status: ReminderStatus | None = None
    recurrence: Recurrence | None = None
    recurrence_interval: RecurrenceInterval | None = None


class ReminderResponse(EntityResponse):
    """A reminder."""

    pet_id: UUID
    user_id: UUID | None
    kind: ReminderKind
    title: str
    notes: str | None
    due_at: datetime
    status: ReminderStatus
    recurrence: Recurrence
    recurrence_interval: int
    vaccination_id: UUID | None
    appointment_id: UUID | None
    sent_at: datetime | None
    completed_at: datetime | None


class NotificationCreate(CreateSchema):
    """An in-app notification (created by services and jobs, not by clients)."""

    user_id: UUID
    category: NotificationCategory
    title: ShortText
    body: LongText | None = None
    action_url: HttpUrl | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class NotificationUpdate(UpdateSchema):
    """Mark a notification read (a time) or unread (null)."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset({"read_at"})

    read_at: AwareDatetime | None = None


class NotificationResponse(EntityResponse):
    """An in-app notification."""

    user_id: UUID
    category: NotificationCategory
    title: str
    body: str | None
    action_url: str | None
    data: dict[str, Any]
    read_at: datetime | None


class NotificationDeliveryResponse(ORMModel):
    """One attempt to deliver on one channel (staff and operations view)."""

    id: UUID
    user_id: UUID
    channel: NotificationChannel
    status: DeliveryStatus
    dedup_key: str
    template: str
    destination: str | None
    reminder_id: UUID | None
    appointment_id: UUID | None
    notification_id: UUID | None
    scheduled_for: datetime
    provider: str | None
    provider_message_id: str | None
    attempts: int
    last_attempt_at: datetime | None
    error: str | None
    sent_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


__all__ = [
    "NotificationCreate",
    "NotificationDeliveryResponse",
    "NotificationResponse",
    "NotificationUpdate",
    "ReminderCreate",
    "ReminderResponse",
    "ReminderUpdate",
]
