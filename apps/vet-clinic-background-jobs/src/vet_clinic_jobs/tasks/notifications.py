"""Sending notifications: retries of failed deliveries, and emergency alerts to a clinic.

Every send goes through the dispatcher, which claims a delivery row under a unique key before
sending; the key of an emergency alert is its request reference, so however often the job is
delivered, each staff member is alerted once per channel.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vet_clinic_jobs import providers
from vet_clinic_jobs.beat import RETRY_DELIVERIES
from vet_clinic_jobs.celery_app import app
from vet_clinic_jobs.db import run_in_session
from vet_core.models import Clinic
from vet_core.models.enums import NotificationCategory
from vet_core.utils.time import utcnow
from vet_services.notifications import Notice
from vet_services.notifications.followup import clinic_staff

logger = logging.getLogger(__name__)

EMERGENCY_TOPIC = "emergency.notify_clinic"


@app.task(name=RETRY_DELIVERIES)
def retry_due(limit: int = 100) -> int:
    """Attempt again every delivery whose transient failure's retry time has come."""

    async def work(session: AsyncSession) -> int:
        return len(await providers.dispatcher().retry_due(session, limit=limit))

    return run_in_session(work)


@app.task(name=EMERGENCY_TOPIC)
def notify_clinic_of_emergency(
    reference: str,
    clinic_id: str,
    description: str,
    contact_phone: str,
    requested_at: str,
    species: str | None = None,
    distance_m: float | None = None,
    **_: Any,
) -> int:
    """Alert every staff member of the clinic that an emergency is on its way.

    The payload is the whole request (there is no table of emergency requests); returns how many
    deliveries were sent by this run (0 when a previous run already sent them).
    """
    clinic_uuid = uuid.UUID(clinic_id)

    async def work(session: AsyncSession) -> int:
        clinic = await session.get_one(Clinic, clinic_uuid)
        context = {
            "clinic_name": clinic.name,
            "description": description,
            "contact_phone": contact_phone,
            "requested_at": datetime.fromisoformat(requested_at).strftime("%H:%M UTC"),
            "species": species,
            "distance_km": round(distance_m / 1000, 1) if distance_m else None,
            "reference": reference,
        }
        now = utcnow()
        sent = 0
        for member in await clinic_staff(session, clinic_uuid):
            outcome = await providers.job_dispatcher().dispatch(
                session,
                recipient=member,
                notice=Notice(
                    template="emergency",
                    context={**context, "recipient_name": member.first_name},
                    category=NotificationCategory.SYSTEM,
                    data={"reference": reference},
                ),
                dedup_key=f"emergency:{reference}:{member.id}",
                due_at=now,
                now=now,
                fallback_timezone=clinic.timezone,
            )
            sent += sum(1 for channel in outcome.channels if not channel.duplicate)
            if outcome.not_before is not None:
                logger.warning("emergency %s: %s is in quiet hours", reference, member.id)
        return sent

    return run_in_session(work)
