"""The outbox relay: publishes committed outbox rows to the broker, never losing or inventing one.

Services write a job as an ``outbox_events`` row in the transaction of the change that wants it,
so a rolled-back change has no job, and a committed one has its job even if Redis was down at
that moment. The relay then, in a loop:

1. claims the pending rows whose ``available_at`` has come, oldest first, with
   ``SELECT … FOR UPDATE SKIP LOCKED LIMIT n`` (several relays share the work, never a row);
2. publishes each as the task named by its ``topic`` with its payload as keyword arguments and
   **the row's id as the task id**, so a consumer can recognise a message it has seen;
3. marks the published rows ``published`` in the same transaction.

When the broker cannot be reached the row stays ``pending`` with ``attempts`` + 1, the error in
``last_error`` and ``available_at`` pushed back exponentially; the rest of the batch is left
untouched for the next round. If the process dies between publishing and committing, the row is
published again later: delivery is at least once, and tasks dedupe on the outbox id or their
own unique keys. A topic no task is registered for is kept pending (an hour later, with the
reason) rather than published into a queue nobody reads.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import Celery  # type: ignore[import-untyped]  # celery ships no type hints
from sqlalchemy import select

from vet_core.database import SessionFactory, backoff_delay, transaction
from vet_core.models.enums import OutboxStatus
from vet_core.models.outbox import OutboxEvent
from vet_core.utils.time import utcnow

logger = logging.getLogger(__name__)

#: How long a row of an unknown topic waits before the relay looks at it again.
UNKNOWN_TOPIC_DELAY = timedelta(hours=1)
#: Publishing gives up quickly: the row is safe in the database and is retried by the relay.
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}


@dataclass
class RelayRound:
    """What one round did."""

    published: int = 0
    failed: int = 0
    unknown: int = 0

    @property
    def claimed(self) -> int:
        return self.published + self.failed + self.unknown


def publish(app: Celery, event: OutboxEvent) -> None:
    """Send ``event`` as its task, with the outbox id as task id (raises if the broker is down)."""
    app.send_task(
        event.topic,
        kwargs=dict(event.payload),
        task_id=str(event.id),
        retry=True,
        retry_policy=PUBLISH_RETRY_POLICY,
    )


def failure_delay(attempts: int, cap: float) -> timedelta:
    """Backoff before publishing a row again after its ``attempts``-th failure (full jitter)."""
    return timedelta(seconds=max(0.5, backoff_delay(attempts, base=1.0, cap=cap)))


async def relay_once(
    app: Celery,
    sessions: SessionFactory,
    topics: Collection[str],
    *,
    batch_size: int = 100,
    max_backoff: float = 300.0,
    now: datetime | None = None,
) -> RelayRound:
    """Claim up to ``batch_size`` due rows, publish them, record the outcome; one transaction.

    ``topics`` are the task names workers know; rows of any other topic wait.
    """
    result = RelayRound()
    async with transaction(sessions) as session:
        moment = now or utcnow()
        events = (
            await session.execute(
                select(OutboxEvent)
                .where(
                    OutboxEvent.status == OutboxStatus.PENDING,
                    OutboxEvent.available_at <= moment,
                )
                .order_by(OutboxEvent.available_at, OutboxEvent.id)
                .limit(batch_size)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
        broker_down: str | None = None
        for event in events:
            if broker_down is not None:
                # Leave it as it is: no attempt was made, the next round tries again.
                continue
            if event.topic not in topics:
                event.attempts += 1
                event.last_error = f"no task is registered for topic {event.topic!r}"
                event.available_at = moment + UNKNOWN_TOPIC_DELAY
                result.unknown += 1
                continue
            try:
                await asyncio.to_thread(publish, app, event)
            except Exception as exc:  # kombu/redis raise many types for "broker unreachable"
                broker_down = f"{type(exc).__name__}: {exc}"[:2000]
                event.attempts += 1
                event.last_error = broker_down
                event.available_at = moment + failure_delay(event.attempts, max_backoff)
                result.failed += 1
                logger.warning("outbox %s not published (%s)", event.id, broker_down)
                continue
            event.status = OutboxStatus.PUBLISHED
            event.published_at = utcnow()
            event.last_error = None
            result.published += 1
        await session.flush()
    return result


async def run_relay(
    app: Celery,
    sessions: SessionFactory,
    topics: Collection[str],
    *,
    batch_size: int,
    poll_interval: float,
    max_backoff: float,
    stop: asyncio.Event,
) -> None:
    """Relay until ``stop`` is set: back to back while rows keep coming, else every poll."""
    while not stop.is_set():
        try:
            done = await relay_once(
                app, sessions, topics, batch_size=batch_size, max_backoff=max_backoff
            )
        except Exception:
            # The database is unreachable: nothing is claimed, so nothing can be lost; wait.
            logger.exception("outbox relay round failed")
            done = RelayRound()
        if done.published:
            logger.info("outbox relay published %d", done.published)
        if done.published == batch_size:
            continue
        try:
            await asyncio.wait_for(stop.wait(), timeout=poll_interval)
        except TimeoutError:
            continue


def main() -> None:
    """Run the relay in this process until SIGINT or SIGTERM (``vet-clinic-jobs relay``)."""
    from vet_clinic_jobs.celery_app import create_celery_app, registered_task_names
    from vet_clinic_jobs.db import platform_database_url
    from vet_clinic_jobs.settings import get_settings
    from vet_core.database import create_engine, create_session_factory

    app = create_celery_app(results=False)
    topics = registered_task_names()
    settings = get_settings()

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        engine = create_engine(url=platform_database_url())
        try:
            logger.info("outbox relay started")
            await run_relay(
                app,
                create_session_factory(engine),
                topics,
                batch_size=settings.relay_batch_size,
                poll_interval=settings.relay_poll_interval,
                max_backoff=settings.relay_max_backoff,
                stop=stop,
            )
        finally:
            await engine.dispose()
            logger.info("outbox relay stopped")

    asyncio.run(serve())


__all__ = ["RelayRound", "failure_delay", "main", "publish", "relay_once", "run_relay"]
