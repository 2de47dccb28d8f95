"""The beat schedule: every periodic task, evaluated in UTC.

Beat only publishes; it holds no state the workers need, and every periodic task is safe to run
twice (a second pass finds nothing left to do), so a beat restarted at the wrong moment, or two
beats by mistake, cost a little work and never a duplicate message.

Clinic-local times are not expressible in one UTC crontab (clinics span zones and DST moves
them), so the daily digest at 8 a.m. clinic time is an hourly UTC task that picks the clinics
whose local hour is 8 right now.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery.schedules import crontab  # type: ignore[import-untyped]  # no type hints

from vet_clinic_jobs.settings import JobsSettings

REMINDER_PASS = "reminders.run_pass"  # noqa: S105 - a task name, not a password
RETRY_DELIVERIES = "notifications.retry_due"
EXPIRE_HOLDS = "maintenance.expire_holds"
EXPIRE_WAITLIST = "maintenance.expire_waitlist"
PURGE_SOFT_DELETED = "maintenance.purge_soft_deleted"
ANALYZE = "maintenance.analyze_hot_tables"
PRUNE_OUTBOX = "maintenance.prune_outbox"
HEALTH = "maintenance.health"
MARK_NO_SHOWS = "maintenance.mark_no_shows"
DAILY_DIGEST = "reports.daily_digest"


def beat_schedule(settings: JobsSettings) -> dict[str, dict[str, Any]]:
    """Celery's ``beat_schedule``: entry name → task name, schedule and expiry.

    ``expires`` drops a periodic message nobody picked up before the next one is due, so a
    worker back from an outage runs one pass instead of a backlog of identical ones.
    """
    reminder_every = timedelta(seconds=settings.reminder_interval)
    return {
        "reminder-pass": {
            "task": REMINDER_PASS,
            "schedule": reminder_every,
            "options": {"expires": reminder_every.total_seconds()},
        },
        "retry-failed-deliveries": {
            "task": RETRY_DELIVERIES,
            "schedule": timedelta(minutes=5),
            "options": {"expires": 300},
        },
        "expire-holds": {
            "task": EXPIRE_HOLDS,
            "schedule": timedelta(minutes=1),
            "options": {"expires": 60},
        },
        "expire-waitlist-offers": {
            "task": EXPIRE_WAITLIST,
            "schedule": timedelta(minutes=5),
            "options": {"expires": 300},
        },
        "purge-soft-deleted": {
            "task": PURGE_SOFT_DELETED,
            "schedule": crontab(hour=3, minute=30),
        },
        "prune-outbox": {
            "task": PRUNE_OUTBOX,
            "schedule": crontab(hour=3, minute=45),
        },
        "analyze-hot-tables": {
            "task": ANALYZE,
            "schedule": crontab(hour=4, minute=0),
        },
        "mark-no-shows": {
            "task": MARK_NO_SHOWS,
            "schedule": timedelta(minutes=10),
            "options": {"expires": 600},
        },
        # Hourly at :00 UTC; the task picks the clinics whose local hour is the digest hour.
        "daily-digest": {
            "task": DAILY_DIGEST,
            "schedule": crontab(minute=0),
            "options": {"expires": 3000},
        },
        "health": {
            "task": HEALTH,
            "schedule": timedelta(minutes=5),
            "options": {"expires": 300},
        },
    }


__all__ = ["beat_schedule"]
