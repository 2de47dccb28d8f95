"""A job that keeps failing ends in ``dead_letter_jobs``, where staff can see it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from support import result_state, start_worker, wait_for

from vet_core.database import SessionFactory
from vet_core.models.outbox import DeadLetterJob


async def _dead_letters(sessions: SessionFactory) -> dict[str, DeadLetterJob]:
    async with sessions() as session:
        rows = (await session.execute(select(DeadLetterJob))).scalars().all()
        return {row.task_id: row for row in rows}


async def test_failing_jobs_are_dead_lettered_once_after_their_retries(
    committed_session_factory: SessionFactory,
    worker_environment: dict[str, str],
    client_app: Any,
    tmp_path: Path,
) -> None:
    worker = start_worker(worker_environment, tmp_path)
    try:
        client_app.send_task("tests.always_unreachable", task_id="transient")
        client_app.send_task("tests.always_broken", kwargs={"order_id": "A-7"}, task_id="bug")
        for task_id in ("transient", "bug"):
            wait_for(lambda t=task_id: result_state(client_app, t) == "FAILURE", 60, task_id)
        # The same failing message again (a redelivery) adds no second row.
        client_app.send_task("tests.always_broken", kwargs={"order_id": "A-7"}, task_id="bug")
        client_app.send_task("tests.always_broken", kwargs={"order_id": "B-1"}, task_id="later")
        wait_for(lambda: result_state(client_app, "later") == "FAILURE", 60, "the later job")
    finally:
        worker.stop()
    rows = await _dead_letters(committed_session_factory)
    assert set(rows) == {"transient", "bug", "later"}
    # A transient error is retried (JOBS_MAX_RETRIES=2) before it is given up on.
    assert rows["transient"].attempts == 3
    assert rows["transient"].error_type == "builtins.ConnectionRefusedError"
    assert rows["transient"].queue == "maintenance"
    # A bug is not retried: retrying cannot fix it.
    assert rows["bug"].attempts == 1
    assert rows["bug"].task_name == "tests.always_broken"
    assert rows["bug"].kwargs == {"order_id": "A-7"}
    assert "cannot be processed" in rows["bug"].error_message
    assert rows["bug"].traceback
    assert "ValueError" in rows["bug"].traceback
    assert rows["bug"].resolved_at is None
