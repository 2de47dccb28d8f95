"""The Celery application: configured from :class:`~vet_clinic_jobs.settings.JobsSettings`.

Built at import because ``celery -A vet_clinic_jobs.celery_app worker`` imports it; building it
reads settings and, without ``REDIS_URL``, starts the embedded Redis, but opens no connection.

Reliability choices, all deliberate:

* JSON only: no pickle, so a message on the broker can never execute code.
* ``acks_late`` + ``reject_on_worker_lost``: a message is acknowledged after its task finished,
  so a worker that dies mid-task leaves it to be redelivered (every task here is idempotent:
  it dedupes on the outbox id, a delivery row's unique key, or a status compare-and-set).
* ``worker_prefetch_multiplier=1``: a worker reserves one message per process, so a crash
  strands at most that one and long tasks do not hold up short ones behind them.
* The Redis visibility timeout is how long an unacknowledged message stays with a worker that
  went silent before Redis hands it to another; it exceeds the hard time limit and the longest
  retry countdown, or healthy tasks would be delivered twice.
"""

from __future__ import annotations

from celery import Celery  # type: ignore[import-untyped]  # celery ships no type hints
from kombu import Queue

from vet_clinic_jobs.beat import beat_schedule
from vet_clinic_jobs.retry import JobTask
from vet_clinic_jobs.routing import DEFAULT_QUEUE, QUEUES, route_task
from vet_clinic_jobs.settings import JobsSettings, celery_redis_url, get_settings

TASK_MODULES = (
    "vet_clinic_jobs.tasks.reminders",
    "vet_clinic_jobs.tasks.appointments",
    "vet_clinic_jobs.tasks.notifications",
    "vet_clinic_jobs.tasks.media",
    "vet_clinic_jobs.tasks.waitlist",
    "vet_clinic_jobs.tasks.maintenance",
    "vet_clinic_jobs.tasks.payments",
    "vet_clinic_jobs.tasks.commerce",
    "vet_clinic_jobs.tasks.messaging",
    "vet_clinic_jobs.tasks.reports",
)


def create_celery_app(
    settings: JobsSettings | None = None, *, redis_url: str | None = None, results: bool = True
) -> Celery:
    """A Celery app wired to the platform's Redis, with the queues, routes and beat schedule.

    ``redis_url`` overrides ``REDIS_URL`` (tests and tools publishing to a Redis of their own).
    ``results=False`` gives a publisher without a result backend: the relay never reads
    results, and a result backend would subscribe to each task's result channel and give up
    for good after a Redis outage.
    """
    settings = settings or get_settings()
    broker = celery_redis_url(redis_url) if redis_url else settings.broker_url
    app = Celery(
        "vet_clinic_jobs",
        broker=broker,
        backend=broker if results else "disabled",
        include=list(TASK_MODULES),
        task_cls=JobTask,
    )
    transport_options = {
        "visibility_timeout": settings.visibility_timeout,
        # One scan per interval (kombu's default scans every 10th of 10 s ticks: 100 s).
        "unacked_restore_interval": settings.restore_interval,
        "unacked_restore_throttle": 1,
        "socket_timeout": 10,
        "socket_connect_timeout": 5,
    }
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        timezone="UTC",
        enable_utc=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=settings.soft_time_limit,
        task_time_limit=settings.time_limit,
        task_track_started=True,
        task_send_sent_event=True,
        worker_send_task_events=True,
        task_default_queue=DEFAULT_QUEUE,
        task_create_missing_queues=False,
        task_routes=(route_task,),
        task_annotations={
            "*": {
                "max_retries": settings.max_retries,
                "retry_backoff_max": settings.retry_backoff_max,
            }
        },
        result_expires=settings.result_expires,
        result_extended=True,
        broker_transport_options=transport_options,
        result_backend_transport_options=transport_options,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        beat_schedule=beat_schedule(settings),
    )
    app.conf.task_queues = [Queue(name, routing_key=name) for name in QUEUES]
    return app


app = create_celery_app()
celery_app = app


def registered_task_names() -> frozenset[str]:
    """Every task name the worker knows (the task modules imported first)."""
    app.loader.import_default_modules()
    return frozenset(name for name in app.tasks if not name.startswith("celery."))


__all__ = [
    "TASK_MODULES",
    "app",
    "celery_app",
    "create_celery_app",
    "registered_task_names",
]
