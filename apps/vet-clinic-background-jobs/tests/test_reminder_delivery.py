"""The reminder pass in a real worker process: one e-mail per reminder, however often it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seed import due_reminder
from sqlalchemy import func, select
from support import SmtpInbox, result_state, start_worker, wait_for

from vet_core.database import SessionFactory
from vet_core.models import NotificationDelivery, Reminder
from vet_core.models.enums import NotificationChannel, ReminderStatus


async def _email_deliveries(sessions: SessionFactory) -> int:
    async with sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(NotificationDelivery)
                .where(NotificationDelivery.channel == NotificationChannel.EMAIL)
            )
            or 0
        )


async def _status(sessions: SessionFactory, reminder_id: Any) -> ReminderStatus:
    async with sessions() as session:
        reminder = await session.get_one(Reminder, reminder_id)
        return reminder.status


async def test_a_reminder_task_delivered_twice_sends_one_email(
    committed_session_factory: SessionFactory,
    worker_environment: dict[str, str],
    client_app: Any,
    inbox: SmtpInbox,
    tmp_path: Path,
) -> None:
    async with committed_session_factory() as session, session.begin():
        reminder = await due_reminder(session)
    worker = start_worker(worker_environment, tmp_path)
    try:
        # The same message twice (same task id, as a redelivery looks), then a later pass.
        for task_id in ("pass-1", "pass-1", "pass-2"):
            client_app.send_task("reminders.run_pass", task_id=task_id)
        wait_for(lambda: result_state(client_app, "pass-2") == "SUCCESS", 60, "the last pass")
        wait_for(lambda: result_state(client_app, "pass-1") == "SUCCESS", 10, "the first pass")
    finally:
        worker.stop()
    assert inbox.count() == 1
    assert inbox.recipients()[0].startswith("owner-")
    assert await _email_deliveries(committed_session_factory) == 1
    assert await _status(committed_session_factory, reminder.id) is ReminderStatus.SENT


async def test_a_worker_killed_mid_task_has_it_redelivered_and_sent_once(
    committed_session_factory: SessionFactory,
    worker_environment: dict[str, str],
    client_app: Any,
    inbox: SmtpInbox,
    tmp_path: Path,
) -> None:
    """SIGKILL while the e-mail is in flight: the next worker gets the message and sends once."""
    async with committed_session_factory() as session, session.begin():
        reminder = await due_reminder(session)
    inbox.gate.clear()  # the SMTP server holds the sender at RCPT TO
    first = start_worker(worker_environment, tmp_path, name="first")
    try:
        client_app.send_task("reminders.run_pass", task_id="the-pass")
        wait_for(inbox.waiting.is_set, 30, "the first worker to be mid-send")
        first.kill_hard()
    finally:
        first.stop()
    inbox.gate.set()
    assert inbox.count() == 0
    second = start_worker(worker_environment, tmp_path, name="second")
    try:
        # Redis hands the unacknowledged message out again after the visibility timeout (5 s).
        wait_for(lambda: result_state(client_app, "the-pass") == "SUCCESS", 60, "redelivery")
    finally:
        second.stop()
    assert "the-pass" in second.output()
    assert inbox.count() == 1
    assert await _email_deliveries(committed_session_factory) == 1
    assert await _status(committed_session_factory, reminder.id) is ReminderStatus.SENT
