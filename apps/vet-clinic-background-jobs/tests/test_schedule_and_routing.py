"""Every beat entry runs a task that exists, and every task lands on the queue meant for it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vet_clinic_jobs.celery_app import app, registered_task_names
from vet_clinic_jobs.routing import QUEUES, queue_for
from vet_clinic_jobs.settings import celery_redis_url


def test_every_beat_entry_points_to_a_registered_task() -> None:
    schedule = app.conf.beat_schedule
    assert schedule
    missing = {entry: spec["task"] for entry, spec in schedule.items()}
    assert {e: t for e, t in missing.items() if t not in registered_task_names()} == {}


def test_the_reminder_pass_and_the_housekeeping_are_scheduled() -> None:
    scheduled = {spec["task"] for spec in app.conf.beat_schedule.values()}
    assert {
        "reminders.run_pass",
        "notifications.retry_due",
        "maintenance.expire_holds",
        "maintenance.expire_waitlist",
        "maintenance.purge_soft_deleted",
        "maintenance.analyze_hot_tables",
        "maintenance.health",
    } <= scheduled


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("reminders.run_pass", "notifications"),
        ("reminders.vaccination_given", "notifications"),
        ("emergency.notify_clinic", "notifications"),
        ("waitlist.offer_freed_slot", "notifications"),
        ("scheduling.appointment_booked", "notifications"),
        ("notifications.retry_due", "notifications"),
        ("payments.payment_failed", "payments"),
        ("commerce.order_paid", "payments"),
        ("scheduling.deposit_paid", "payments"),
        ("files.process_image", "media"),
        ("reports.daily_digest", "reports"),
        ("reports.export", "reports"),
        ("messaging.new_message", "notifications"),
        ("payments.refund_issued", "payments"),
        ("commerce.order_paid_after_cancellation", "payments"),
        ("commerce.prescription_approval_requested", "payments"),
        ("maintenance.mark_no_shows", "maintenance"),
        ("maintenance.expire_holds", "maintenance"),
        ("something.unknown", "maintenance"),
    ],
)
def test_tasks_are_routed_by_name(task: str, queue: str) -> None:
    assert queue_for(task) == queue


def test_every_registered_task_goes_to_one_of_the_five_queues() -> None:
    assert {queue_for(name) for name in registered_task_names()} <= set(QUEUES)


async def test_a_published_task_waits_on_its_queue_in_redis(client_app: Any, redis: Any) -> None:
    for name in ("reminders.run_pass", "files.process_image", "maintenance.health"):
        client_app.send_task(name, task_id=f"id-{name}")
    lengths = {queue: await redis.llen(queue) for queue in QUEUES}
    assert lengths == {
        "notifications": 1,
        "payments": 0,
        "media": 1,
        "reports": 0,
        "maintenance": 1,
    }
    [message] = await redis.lrange("media", 0, -1)
    assert json.loads(message)["headers"]["task"] == "files.process_image"


def test_the_configuration_is_safe_for_at_least_once_delivery() -> None:
    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.timezone == "UTC"
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert not conf.task_always_eager
    transport = conf.broker_transport_options
    assert transport["visibility_timeout"] > conf.task_time_limit


def test_unix_socket_urls_are_rewritten_for_kombu() -> None:
    assert (
        celery_redis_url("unix:///run/vet/redis.sock?db=3")
        == "redis+socket:///run/vet/redis.sock?virtual_host=3"
    )
    assert celery_redis_url("redis://cache:6379/2") == "redis://cache:6379/2"
