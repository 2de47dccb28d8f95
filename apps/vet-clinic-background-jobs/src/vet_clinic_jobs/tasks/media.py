"""Image processing after an upload: metadata (EXIF, GPS) stripped, thumbnails stored.

The storage service enqueues ``files.process_image`` when an image upload is confirmed;
:func:`vet_services.storage.images.process_image` is idempotent (a second run re-encodes an
already clean image to the same bytes).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vet_clinic_jobs import providers
from vet_clinic_jobs.celery_app import app
from vet_clinic_jobs.db import run_in_session
from vet_services.storage.images import process_image

PROCESS_IMAGE_TOPIC = "files.process_image"


@app.task(name=PROCESS_IMAGE_TOPIC)
def process_uploaded_image(file_id: str, **_: Any) -> dict[str, Any] | None:
    """Clean the stored image and write its thumbnails; ``None`` when there was nothing to do."""

    async def work(session: AsyncSession) -> dict[str, Any] | None:
        processed = await process_image(session, providers.storage(), uuid.UUID(file_id))
        if processed is None:
            return None
        return {"size_bytes": len(processed.data)}

    return run_in_session(work)
