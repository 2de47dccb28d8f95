"""The transactional outbox: jobs recorded in the same transaction as the change that wants them.

A service calls :func:`enqueue` inside the caller's transaction. If the transaction rolls back,
the job never existed; if it commits, the relay of the background-jobs app publishes it to the
broker (and retries until it can). A ``dedup_key`` makes enqueueing the same job twice a no-op.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models.enums import OutboxStatus
from vet_core.models.outbox import OutboxEvent
from vet_core.utils.time import utcnow


async def enqueue(
    session: AsyncSession,
    topic: str,
    payload: Mapping[str, Any],
    *,
    dedup_key: str | None = None,
    available_at: datetime | None = None,
) -> bool:
    """Record job ``topic`` (a task name) with a JSON ``payload``; False if ``dedup_key`` was seen.

    ``available_at`` delays publication (e.g. a reminder due later).
    """
    statement = (
        insert(OutboxEvent)
        .values(
            topic=topic,
            payload=dict(payload),
            status=OutboxStatus.PENDING,
            available_at=available_at or utcnow(),
            dedup_key=dedup_key,
        )
        .on_conflict_do_nothing(index_elements=[OutboxEvent.dedup_key])
        .returning(OutboxEvent.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None
