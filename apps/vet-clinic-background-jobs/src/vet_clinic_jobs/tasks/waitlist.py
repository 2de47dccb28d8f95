"""Waitlist offers when a slot frees (a cancellation or a no-show)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vet_clinic_jobs.celery_app import app
from vet_clinic_jobs.db import run_in_session
from vet_services.scheduling import offer_freed_slot

OFFER_TOPIC = "waitlist.offer_freed_slot"


@app.task(name=OFFER_TOPIC)
def offer_slot(appointment_id: str, **_: Any) -> list[str]:
    """Offer the freed slot to the first matching waiting entries; their ids.

    The service locks candidates with ``SKIP LOCKED`` and only offers entries still waiting, so
    a redelivered job offers nothing twice.
    """

    async def work(session: AsyncSession) -> list[str]:
        offered = await offer_freed_slot(session, freed_appointment_id=uuid.UUID(appointment_id))
        return [str(entry.id) for entry in offered]

    return run_in_session(work)
