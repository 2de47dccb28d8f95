"""Tasks that exist only in the test workers (loaded with ``celery worker -I worker_tasks``).

They use the app's own base class, so they retry and dead-letter exactly like real tasks; what
they add is a failure the tests control.
"""

from __future__ import annotations

from vet_clinic_jobs.celery_app import app


@app.task(name="tests.always_unreachable")
def always_unreachable() -> None:
    """Fails as if the server were down (a transient error): retried, then dead-lettered."""
    raise ConnectionRefusedError("the test server refuses every connection")


@app.task(name="tests.always_broken")
def always_broken(order_id: str) -> None:
    """Fails with a bug (a permanent error): dead-lettered at once, no retry."""
    raise ValueError(f"order {order_id} cannot be processed")
