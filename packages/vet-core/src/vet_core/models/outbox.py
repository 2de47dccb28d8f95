"""The transactional outbox: jobs and events written with the data, published after commit.

A relay claims ``pending`` rows whose ``available_at`` has come (``FOR UPDATE SKIP LOCKED``),
publishes them and marks them ``published``; failures back off through ``available_at``.
``dedup_key`` (unique, optional) keeps one logical event from being enqueued twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from vet_core.models.base import Base, TimestampMixin, UUIDPrimaryKeyMixin, enum_column_type
from vet_core.models.enums import OutboxStatus


class OutboxEvent(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """One event or task to publish (``topic`` is the topic or task name)."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint(
            "(status = 'published') = (published_at IS NOT NULL)", name="published_at_iff_published"
        ),
        Index(
            "ix_outbox_events_available_at_pending",
            "available_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    topic: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column_type(OutboxStatus, "status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    available_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    dedup_key: Mapped[str | None] = mapped_column(String(255), unique=True)


class DeadLetterJob(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """A background job that exhausted its retries, kept for staff to inspect and replay.

    ``task_id`` is unique: a job dead-lettered twice (redelivery after a crash) is one row.
    """

    __tablename__ = "dead_letter_jobs"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index(
            "ix_dead_letter_jobs_failed_at_open",
            "failed_at",
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )

    task_id: Mapped[str] = mapped_column(String(255), unique=True)
    task_name: Mapped[str] = mapped_column(String(200))
    queue: Mapped[str | None] = mapped_column(String(100))
    args: Mapped[list[Any]] = mapped_column(JSONB, default=list, server_default=text("'[]'::jsonb"))
    kwargs: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    error_type: Mapped[str] = mapped_column(String(200))
    error_message: Mapped[str] = mapped_column(Text)
    traceback: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


__all__ = ["DeadLetterJob", "OutboxEvent"]
