"""A new booking's follow-up: its reminders planned and its confirmation sent to the owner."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vet_clinic_jobs import providers
from vet_clinic_jobs.celery_app import app
from vet_clinic_jobs.db import run_in_session
from vet_services.scheduling import follow_up_booking
from vet_services.scheduling.events import APPOINTMENT_BOOKED_TOPIC


@app.task(name=APPOINTMENT_BOOKED_TOPIC)
def appointment_booked(appointment_id: str, **_: Any) -> dict[str, Any]:
    """Plan the booking's reminders and confirm it to the owner (once, however often delivered).

    Returns how many reminders were planned and what the confirmation did (``None``: the
    appointment was cancelled or moved before the job ran).
    """
    appointment = uuid.UUID(appointment_id)

    async def work(session: AsyncSession) -> dict[str, Any]:
        done = await follow_up_booking(session, providers.dispatcher(), appointment)
        confirmation = done.confirmation.as_dict() if done.confirmation else None
        return {"reminders": done.reminders, "confirmation": confirmation}

    return run_in_session(work)
