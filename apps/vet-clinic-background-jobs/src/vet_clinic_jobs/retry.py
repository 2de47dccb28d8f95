"""The base class of every task: retries on transient failures, dead-letters on final failure.

Transient means the same call may succeed in a moment: the database unreachable or gone away
(:func:`vet_core.database.is_connection_error`), an SMTP relay refusing for now or dropping the
connection, an HTTP provider timing out or answering 5xx, Stripe unreachable
(``PAYMENT_PROVIDER_UNAVAILABLE``). Those are retried with exponential
backoff and full jitter (so a fleet of workers does not hammer a recovering server in lockstep)
up to ``max_retries``. Anything else, and a transient failure out of retries, is final: the job is
written to ``dead_letter_jobs`` where staff can see it, once per task id however often a
redelivered message fails again.
"""

from __future__ import annotations

import logging
import smtplib
import traceback as traceback_module
from typing import Any

import aiosmtplib
import httpx
from billiard.einfo import ExceptionInfo  # type: ignore[import-untyped]  # no type hints
from celery import Task  # type: ignore[import-untyped]  # celery ships no type hints
from celery.exceptions import Retry  # type: ignore[import-untyped]
from celery.utils.time import (  # type: ignore[import-untyped]
    get_exponential_backoff_interval,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vet_clinic_jobs.db import run_in_session
from vet_core.database import is_connection_error
from vet_core.exceptions import ConnectionException
from vet_core.models.outbox import DeadLetterJob
from vet_services.payments.gateway import PaymentProviderUnavailable

logger = logging.getLogger(__name__)

_MAX_TEXT = 10_000


_DROPPED_CONNECTIONS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPTimeoutError,
    httpx.TimeoutException,
    httpx.NetworkError,
)


def _status_code(error: BaseException) -> int | None:
    """The SMTP or HTTP status an error carries, if any."""
    if isinstance(error, smtplib.SMTPResponseException):
        return int(error.smtp_code)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return int(error.code)
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code
    return None


def is_transient(error: BaseException) -> bool:
    """Whether retrying the task later may succeed where this attempt failed.

    SMTP 4xx means "try again later"; HTTP 5xx and 429 mean the provider is struggling.
    """
    if isinstance(
        error, (ConnectionException, PaymentProviderUnavailable, *_DROPPED_CONNECTIONS)
    ) or is_connection_error(error):
        return True
    code = _status_code(error)
    if code is None:
        return False
    if isinstance(error, httpx.HTTPStatusError):
        return code >= 500 or code == 429
    return 400 <= code < 500


async def record_dead_letter(
    session: AsyncSession,
    *,
    task_id: str,
    task_name: str,
    queue: str | None,
    args: list[Any],
    kwargs: dict[str, Any],
    attempts: int,
    error: BaseException,
    traceback: str | None,
) -> bool:
    """Insert the dead-letter row of ``task_id`` unless it exists; whether it was inserted."""
    statement = (
        insert(DeadLetterJob)
        .values(
            task_id=task_id,
            task_name=task_name,
            queue=queue,
            args=args,
            kwargs=kwargs,
            attempts=attempts,
            error_type=f"{type(error).__module__}.{type(error).__qualname__}"[:200],
            error_message=str(error)[:_MAX_TEXT] or type(error).__name__,
            traceback=traceback[-_MAX_TEXT:] if traceback else None,
        )
        .on_conflict_do_nothing(index_elements=[DeadLetterJob.task_id])
        .returning(DeadLetterJob.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


class JobTask(Task):  # Task is Any here: celery ships no type hints
    """Every task of the app: idempotent, acknowledged late, retried and dead-lettered."""

    acks_late = True
    reject_on_worker_lost = True
    retry_backoff = True
    retry_jitter = True

    #: Both are set for every task from settings through ``task_annotations``.
    max_retries = 5
    retry_backoff_max = 600

    def retry_countdown(self, retries: int) -> int:
        """Seconds before retry number ``retries + 1``: 1, 2, 4… capped, with full jitter."""
        return int(
            get_exponential_backoff_interval(
                factor=1,
                retries=retries,
                maximum=self.retry_backoff_max,
                full_jitter=self.retry_jitter,
            )
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the task; turn a transient failure into a delayed retry while retries remain.

        ``self.retry`` re-raises the original error once ``max_retries`` is used up, which
        makes the failure final and reaches :meth:`on_failure`.
        """
        try:
            return super().__call__(*args, **kwargs)
        except Retry:
            raise
        except Exception as exc:
            if not is_transient(exc):
                raise
            countdown = self.retry_countdown(self.request.retries)
            logger.warning(
                "task %s[%s] failed transiently (%s), retry %d/%d in %ds",
                self.name,
                self.request.id,
                type(exc).__name__,
                self.request.retries + 1,
                self.max_retries,
                countdown,
            )
            raise self.retry(exc=exc, countdown=countdown, max_retries=self.max_retries) from exc

    def on_failure(
        self,
        exc: BaseException,
        task_id: str,
        args: Any,
        kwargs: Any,
        einfo: ExceptionInfo | None,
    ) -> None:
        """Write the job to ``dead_letter_jobs`` (once per ``task_id``) for staff to see."""
        delivery = self.request.delivery_info or {}
        queue = delivery.get("routing_key") or delivery.get("exchange") or None
        text = (
            str(einfo.traceback)
            if einfo is not None
            else "".join(traceback_module.format_exception(exc))
        )

        async def write(session: AsyncSession) -> bool:
            return await record_dead_letter(
                session,
                task_id=task_id,
                task_name=self.name,
                queue=queue,
                args=list(args or []),
                kwargs=dict(kwargs or {}),
                attempts=self.request.retries + 1,
                error=exc,
                traceback=text,
            )

        try:
            run_in_session(write)
        except Exception:
            # The database itself may be what failed: the log is then the only record left.
            logger.exception("could not dead-letter task %s[%s]", self.name, task_id)


__all__ = ["JobTask", "is_transient", "record_dead_letter"]
