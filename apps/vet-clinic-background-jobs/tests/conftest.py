"""Fixtures: a loopback SMTP server, the environment of worker processes, a publishing app."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import URL
from support import SmtpInbox, process_environment, smtp_environment, start_smtp

from vet_clinic_jobs.celery_app import create_celery_app


@pytest.fixture
def inbox() -> Iterator[SmtpInbox]:
    """An SMTP server on loopback that records every message (its gate starts open)."""
    box = SmtpInbox()
    box.gate.set()
    controller = start_smtp(box)
    try:
        yield box
    finally:
        box.gate.set()
        controller.stop()


@pytest.fixture
def worker_environment(
    database_url: URL, redis_url: str, inbox: SmtpInbox, redis: Any
) -> dict[str, str]:
    """Environment for workers and the relay: the test database and Redis db, the inbox.

    Depends on ``redis`` so the Redis database is flushed (no stale queue) before the test.
    """
    return process_environment(
        database_url.render_as_string(hide_password=False),
        redis_url,
        smtp_environment(inbox),
    )


@pytest.fixture
def client_app(redis_url: str) -> Any:
    """A Celery app in the test process, publishing to and reading results from the test Redis."""
    return create_celery_app(redis_url=redis_url)
