"""The outbox relay: committed jobs are published exactly once, rolled-back ones never."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from seed import clinic_with_staff
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from support import (
    SmtpInbox,
    eventually,
    process_environment,
    smtp_environment,
    start_relay,
    start_worker,
    wait_for,
)

from vet_clinic_jobs.celery_app import registered_task_names
from vet_clinic_jobs.relay import relay_once
from vet_clinic_jobs.routing import QUEUES
from vet_core.database import SessionFactory, transaction
from vet_core.embedded import EmbeddedRedis
from vet_core.models import NotificationDelivery
from vet_core.models.enums import NotificationChannel, OutboxStatus
from vet_core.models.outbox import OutboxEvent
from vet_core.utils.time import utcnow
from vet_services.outbox import enqueue


class Boom(Exception):
    """The change failed after it had enqueued its job."""


async def _outbox(sessions: SessionFactory) -> list[OutboxEvent]:
    async with sessions() as session:
        return list((await session.execute(select(OutboxEvent))).scalars())


def _emergency(clinic_id: Any, number: int) -> dict[str, Any]:
    return {
        "reference": f"ref-{number}",
        "clinic_id": str(clinic_id),
        "clinic_phone": None,
        "requested_at": utcnow().isoformat(),
        "requested_by": None,
        "description": f"dog hit by a car ({number})",
        "contact_phone": "+15550100",
        "species": "dog",
        "pet_id": None,
        "latitude": None,
        "longitude": None,
        "distance_m": 1200.0,
    }


async def test_a_committed_job_is_published_with_its_outbox_id_and_a_rolled_back_one_never(
    committed_session_factory: SessionFactory, client_app: Any, redis: Any
) -> None:
    async with transaction(committed_session_factory) as session:
        await enqueue(session, "maintenance.health", {})
    with pytest.raises(Boom):
        async with transaction(committed_session_factory) as session:
            await enqueue(session, "maintenance.expire_holds", {})
            raise Boom

    first = await relay_once(client_app, committed_session_factory, registered_task_names())
    again = await relay_once(client_app, committed_session_factory, registered_task_names())

    assert (first.published, again.claimed) == (1, 0)
    [event] = await _outbox(committed_session_factory)
    assert (event.topic, event.status) == ("maintenance.health", OutboxStatus.PUBLISHED)
    assert event.published_at is not None
    messages = await redis.lrange("maintenance", 0, -1)
    assert [json.loads(m)["headers"]["id"] for m in messages] == [str(event.id)]
    assert [json.loads(m)["headers"]["task"] for m in messages] == ["maintenance.health"]


async def test_a_topic_without_a_task_stays_pending_with_the_reason(
    committed_session_factory: SessionFactory, client_app: Any, redis: Any
) -> None:
    async with transaction(committed_session_factory) as session:
        await enqueue(session, "nobody.listens", {"x": 1})

    result = await relay_once(client_app, committed_session_factory, registered_task_names())

    [event] = await _outbox(committed_session_factory)
    assert result.unknown == 1
    assert event.status is OutboxStatus.PENDING
    assert event.last_error
    assert "no task is registered" in event.last_error
    assert event.available_at > utcnow()
    assert [await redis.llen(queue) for queue in QUEUES] == [0] * len(QUEUES)


async def _deliveries(sessions: SessionFactory) -> int:
    async with sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(NotificationDelivery)
                .where(NotificationDelivery.channel == NotificationChannel.EMAIL)
            )
            or 0
        )


async def test_the_relay_survives_redis_going_down_and_every_job_takes_effect_once(
    committed_session_factory: SessionFactory,
    database_url: Any,
    inbox: SmtpInbox,
    tmp_path: Path,
) -> None:
    broker = EmbeddedRedis(tmp_path / "broker")
    environment = process_environment(
        database_url.render_as_string(hide_password=False),
        broker.start(),
        smtp_environment(inbox),
    )
    async with transaction(committed_session_factory) as session:
        clinic, staff = await clinic_with_staff(session, staff=2)
    relay = start_relay(environment, tmp_path)
    worker = None
    try:
        broker.stop()

        # Jobs committed while Redis is down: the commit succeeds, the job is not lost.
        async def record(session: AsyncSession) -> None:
            for number in range(5):
                await enqueue(session, "emergency.notify_clinic", _emergency(clinic.id, number))

        async with transaction(committed_session_factory) as session:
            await record(session)

        async def all_attempted() -> bool:
            events = await _outbox(committed_session_factory)
            return (
                len(events) == 5
                and all(e.status is OutboxStatus.PENDING for e in events)
                and any(e.attempts >= 2 for e in events)
            )

        await eventually(all_attempted, 30, "the relay to fail to publish while Redis is down")
        events = await _outbox(committed_session_factory)
        assert any(e.last_error for e in events)

        broker.start()
        worker = start_worker(environment, tmp_path)

        async def all_published() -> bool:
            events = await _outbox(committed_session_factory)
            return all(e.status is OutboxStatus.PUBLISHED for e in events)

        await eventually(all_published, 30, "every job to be published once Redis is back")
        wait_for(lambda: inbox.count() >= 10, 30, "each staff member alerted for each job")
        # Let anything duplicated arrive before counting.
        wait_for(lambda: "succeeded" in worker.output(), 5, "the worker to finish")
    finally:
        relay.stop()
        if worker is not None:
            worker.stop()
        broker.stop()
    assert inbox.count() == 10
    assert sorted(inbox.recipients()) == sorted(user.email for user in staff for _ in range(5))
    assert await _deliveries(committed_session_factory) == 10
