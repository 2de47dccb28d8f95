"""Reports: the staff's daily digest at the clinic's 8 a.m., and exports sent by e-mail.

The digest runs hourly (UTC) from beat and picks the clinics whose local hour is the digest
hour (``JOBS_DIGEST_LOCAL_HOUR``) now; each person's digest is keyed on the clinic, the local
date and the person, so a day is never sent twice. With ``clinic_id`` and ``day`` (a digest put
off by quiet hours) it sends that clinic's digest of that day.

An export (``reports.export``, requested through :func:`vet_services.reports.request_export`)
is built as its requester, stored in object storage and announced with a signed link; a
redelivered task finds the file already stored and sends nothing new.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vet_clinic_jobs import providers
from vet_clinic_jobs.beat import DAILY_DIGEST
from vet_clinic_jobs.celery_app import app
from vet_clinic_jobs.db import run_in_session
from vet_clinic_jobs.settings import get_settings
from vet_services.digests import send_clinic_digest, send_daily_digests
from vet_services.exports import build_export
from vet_services.reports import EXPORT_TOPIC


@app.task(name=DAILY_DIGEST)
def daily_digest(clinic_id: str | None = None, day: str | None = None, **_: Any) -> dict[str, Any]:
    """Send the digest of every clinic at its digest hour now (or of one clinic and day)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        if clinic_id is not None and day is not None:
            report = await send_clinic_digest(
                session, providers.dispatcher(), uuid.UUID(clinic_id), date.fromisoformat(day)
            )
            return {clinic_id: {"day": day, **report.as_dict()}}
        run = await send_daily_digests(
            session, providers.dispatcher(), hour=get_settings().digest_local_hour
        )
        return run.as_dict()

    return run_in_session(work)


@app.task(name=EXPORT_TOPIC)
def export(
    export_id: str,
    kind: str,
    user_id: str,
    clinic_id: str | None = None,
    first_day: str | None = None,
    last_day: str | None = None,
    **_: Any,
) -> dict[str, Any]:
    """Build the export, store it and send its requester a download link."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        built = await build_export(
            session,
            providers.storage(),
            providers.dispatcher(),
            export_id=uuid.UUID(export_id),
            kind=kind,
            user_id=uuid.UUID(user_id),
            clinic_id=uuid.UUID(clinic_id) if clinic_id else None,
            first_day=date.fromisoformat(first_day) if first_day else None,
            last_day=date.fromisoformat(last_day) if last_day else None,
        )
        return built.as_dict()

    return run_in_session(work)
