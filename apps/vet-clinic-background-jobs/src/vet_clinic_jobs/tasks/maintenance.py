"""Housekeeping: expired holds and waitlist offers, retention purges, ``ANALYZE``, health.

Each task is idempotent by nature (an update of rows still in the old state, a delete of rows
past a cutoff), so a redelivered or doubled run changes nothing more. Where a service owns the
rule (holds, waitlist) the task calls it; the purges and ``ANALYZE`` are pure maintenance done
here with SQLAlchemy Core.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncSession

from vet_clinic_jobs.beat import (
    ANALYZE,
    EXPIRE_HOLDS,
    EXPIRE_WAITLIST,
    HEALTH,
    MARK_NO_SHOWS,
    PRUNE_OUTBOX,
    PURGE_SOFT_DELETED,
)
from vet_clinic_jobs.celery_app import app
from vet_clinic_jobs.db import run_async, run_in_session, session_factory
from vet_clinic_jobs.settings import get_settings
from vet_core.database import check_database
from vet_core.models import ClinicReview, Reminder, VeterinarianReview
from vet_core.models.enums import OutboxStatus
from vet_core.models.outbox import OutboxEvent
from vet_core.utils.time import utcnow
from vet_services.scheduling import expire_holds, expire_waitlist, mark_no_shows

logger = logging.getLogger(__name__)

#: Tables whose soft-deleted rows are purged after the retention period. Clinical records,
#: pets, users and appointments are never purged here: veterinary record keeping outlives it.
PURGEABLE = (Reminder, ClinicReview, VeterinarianReview)
#: The tables whose planner statistics go stale fastest (many inserts and status changes).
HOT_TABLES = (
    "appointments",
    "appointment_holds",
    "reminders",
    "notification_deliveries",
    "outbox_events",
    "waitlist_entries",
)


@app.task(name=EXPIRE_HOLDS)
def sweep_expired_holds() -> int:
    """Mark holds past their expiry ``expired`` (they are already ignored everywhere)."""

    async def work(session: AsyncSession) -> int:
        return await expire_holds(session)

    return run_in_session(work)


@app.task(name=EXPIRE_WAITLIST)
def sweep_waitlist() -> dict[str, int]:
    """Return lapsed waitlist offers to waiting; expire entries whose window has passed."""

    async def work(session: AsyncSession) -> tuple[int, int]:
        return await expire_waitlist(session)

    lapsed, expired = run_in_session(work)
    return {"offers_lapsed": lapsed, "entries_expired": expired}


@app.task(name=MARK_NO_SHOWS)
def sweep_no_shows(limit: int = 1_000) -> list[str]:
    """Mark ``no_show`` the appointments that ended past their clinic's grace, never checked in.

    One set-based update (:func:`vet_services.scheduling.mark_no_shows`); a second run, or two
    at once, finds nothing left to mark. Returns the ids marked.
    """

    async def work(session: AsyncSession) -> list[str]:
        marked = await mark_no_shows(session, limit=limit)
        return [str(item.appointment_id) for item in marked]

    return run_in_session(work)


@app.task(name=PURGE_SOFT_DELETED)
def purge_soft_deleted(retention_days: int | None = None) -> dict[str, int]:
    """Delete rows soft-deleted more than ``retention_days`` ago, table by table."""
    days = retention_days or get_settings().retention_days
    cutoff = utcnow() - timedelta(days=days)

    async def work(session: AsyncSession) -> dict[str, int]:
        purged: dict[str, int] = {}
        for model in PURGEABLE:
            result = await session.execute(
                delete(model)
                .where(model.deleted_at.is_not(None), model.deleted_at < cutoff)
                .returning(model.id)
            )
            purged[model.__tablename__] = len(result.all())
        return purged

    return run_in_session(work)


@app.task(name=PRUNE_OUTBOX)
def prune_outbox(retention_days: int | None = None) -> int:
    """Delete outbox rows published more than ``retention_days`` ago (pending ones never)."""
    days = retention_days or get_settings().retention_days
    cutoff = utcnow() - timedelta(days=days)

    async def work(session: AsyncSession) -> int:
        result = await session.execute(
            delete(OutboxEvent)
            .where(OutboxEvent.status == OutboxStatus.PUBLISHED, OutboxEvent.published_at < cutoff)
            .returning(OutboxEvent.id)
        )
        return len(result.all())

    return run_in_session(work)


@app.task(name=ANALYZE)
def analyze_hot_tables() -> list[str]:
    """Refresh the planner statistics of :data:`HOT_TABLES` (names are constants, not input)."""

    async def work(session: AsyncSession) -> list[str]:
        for table in HOT_TABLES:
            await session.execute(text(f'ANALYZE "{table}"'))
        return list(HOT_TABLES)

    return run_in_session(work)


@app.task(name=HEALTH)
def health() -> dict[str, Any]:
    """Whether this worker reaches the database (Flower shows the result; a failure alerts)."""
    engine = session_factory().kw["bind"]
    report = run_async(check_database(engine))
    if not report.healthy:
        logger.error("database unhealthy: %s", report.error)
    return {
        "database": report.healthy,
        "latency_ms": report.latency_ms,
        "server_version": report.server_version,
        "error": report.error,
    }
