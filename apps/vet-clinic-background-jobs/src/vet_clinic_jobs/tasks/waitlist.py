"""Waitlist offers when a slot frees (a cancellation, a move or a no-show)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vet_clinic_jobs import providers
from vet_clinic_jobs.celery_app import app
from vet_clinic_jobs.db import run_in_session
from vet_services.scheduling import notify_waitlist_offers, offer_freed_slot
from vet_services.scheduling.events import SLOT_FREED_TOPIC


@app.task(name=SLOT_FREED_TOPIC)
def offer_slot(appointment_id: str, **_: Any) -> list[str]:
    """Offer the freed slot to the first matching waiting entries and tell them; their ids.

    The service locks candidates with ``SKIP LOCKED`` and only offers entries still waiting, and
    each offer's message has its own dedup key, so a redelivered job offers and tells nobody twice.
    """

    async def work(session: AsyncSession) -> list[str]:
        offered = await offer_freed_slot(session, freed_appointment_id=uuid.UUID(appointment_id))
        await notify_waitlist_offers(session, providers.dispatcher(), offered)
        return [str(entry.id) for entry in offered]

    return run_in_session(work)
