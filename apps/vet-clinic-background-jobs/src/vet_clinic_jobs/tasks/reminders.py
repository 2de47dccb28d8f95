"""Care reminders: the periodic pass, and re-planning when a vaccine is given or a pet dies.

The pass (appointments 24 h and 2 h ahead, vaccinations, refills, wellness: whatever the rules
planned) is :func:`vet_services.reminders.run_reminder_pass`. It locks the due rows with
``SKIP LOCKED`` and claims a delivery row per message with a unique key, so the same pass
delivered twice, or two workers running it at once, sends each reminder once.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vet_clinic_jobs import providers
from vet_clinic_jobs.beat import REMINDER_PASS
from vet_clinic_jobs.celery_app import app
from vet_clinic_jobs.db import run_in_session
from vet_clinic_jobs.settings import get_settings
from vet_core.utils.time import utcnow
from vet_services.reminders import complete_resolved, plan_for_pet, run_reminder_pass


@app.task(name=REMINDER_PASS, bind=True)
def run_pass(self: Any, limit: int | None = None) -> dict[str, int]:
    """Deliver the reminders due now, batch after batch until a batch finds nothing to do.

    Each batch is its own transaction: what was sent is committed before the next is locked,
    so a crash loses at most the batch in flight (which is redelivered and re-sent once).
    Several passes at once share the rows (``SKIP LOCKED``). A pass that has run for
    ``JOBS_REMINDER_PASS_SECONDS`` publishes a fresh pass for the rest and returns. Every handled reminder leaves the
    due set (sent, settled, cancelled, or deferred to a later time), so the loop ends.
    """
    settings = get_settings()
    batch = limit or settings.reminder_batch_size
    deadline = time.monotonic() + settings.reminder_pass_seconds
    totals = {"sent": 0, "messages": 0, "completed": 0, "cancelled": 0, "deferred": 0}
    while True:

        async def one_batch(session: AsyncSession) -> dict[str, int]:
            report = await run_reminder_pass(session, utcnow(), providers.dispatcher(), limit=batch)
            return {
                "sent": len(report.sent),
                "messages": report.messages,
                "completed": len(report.completed),
                "cancelled": len(report.cancelled),
                "deferred": len(report.deferred),
                "handled": len(report.sent)
                + len(report.completed)
                + len(report.cancelled)
                + len(report.deferred)
                + len(report.skipped),
            }

        counts = run_in_session(one_batch)
        for key in totals:
            totals[key] += counts[key]
        if counts["handled"] == 0:
            return totals
        if time.monotonic() > deadline:
            # Never let the time limit cut a batch between sending and committing.
            self.app.send_task(REMINDER_PASS, kwargs={"limit": limit})
            return totals


@app.task(name="reminders.vaccination_given")
def vaccination_given(pet_id: str, **_: Any) -> int:
    """A dose was recorded: settle the reminders it met and plan the next ones."""
    pet = uuid.UUID(pet_id)

    async def work(session: AsyncSession) -> int:
        settled = await complete_resolved(session, pet)
        await plan_for_pet(session, pet)
        return settled

    return run_in_session(work)


@app.task(name="reminders.pet_deceased")
def pet_deceased(pet_id: str, **_: Any) -> int:
    """A pet died: cancel its pending reminders now rather than at their due time."""
    pet = uuid.UUID(pet_id)

    async def work(session: AsyncSession) -> int:
        return await complete_resolved(session, pet)

    return run_in_session(work)
