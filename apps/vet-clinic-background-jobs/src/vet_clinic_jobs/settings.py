"""Settings of the worker, beat, relay and Flower, read from the environment (``JOBS_*``).

The broker and the result backend are the platform's Redis (``REDIS_URL``); when it is unset, the
embedded Redis of :mod:`vet_core.embedded` is started, so every command works on a bare machine.
Nothing here connects: :func:`celery_redis_url` only rewrites a URL.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from vet_core.config import RedisSettings


def celery_redis_url(url: str) -> str:
    """``url`` in the spelling kombu and Celery understand.

    The platform writes unix sockets as ``unix:///run/redis.sock?db=3`` (redis-py's form); kombu
    and the Celery result backend want ``redis+socket:///run/redis.sock?virtual_host=3``.
    TCP URLs (``redis://``, ``rediss://``) are already understood and pass through unchanged.
    """
    parts = urlsplit(url)
    if parts.scheme != "unix":
        return url
    query = dict(parse_qsl(parts.query))
    db = query.pop("db", "0")
    query["virtual_host"] = db
    # urlunsplit drops the empty authority ("//"), which kombu needs: build the string.
    return f"redis+socket://{parts.path}?{urlencode(query)}"


def platform_redis_url() -> str:
    """``REDIS_URL`` when set, else the embedded Redis (started if needed)."""
    configured = RedisSettings().url
    if configured is not None:
        return configured.get_secret_value()
    from vet_core.embedded import redis_url

    return redis_url()


class JobsSettings(BaseSettings):
    """Everything the background-jobs processes need besides the database and Redis URLs."""

    model_config = SettingsConfigDict(env_prefix="JOBS_", env_file=".env", extra="ignore")

    # --- task execution ---------------------------------------------------------------------
    soft_time_limit: int = Field(
        default=240, ge=1, description="seconds before SoftTimeLimitExceeded is raised in a task"
    )
    time_limit: int = Field(default=300, ge=1, description="seconds before the task is killed")
    max_retries: int = Field(default=5, ge=0, description="retries on transient failures")
    retry_backoff_max: int = Field(
        default=600, ge=1, description="cap in seconds of the exponential retry delay"
    )
    visibility_timeout: int = Field(
        default=3600,
        ge=1,
        description=(
            "seconds after which Redis redelivers a message a worker took but never acknowledged"
            " (a worker that died); must exceed time_limit and retry_backoff_max"
        ),
    )
    restore_interval: int = Field(
        default=30,
        ge=1,
        description=(
            "seconds between a worker's sweeps for messages past the visibility timeout (how"
            " soon after the timeout a dead worker's message is handed out again)"
        ),
    )
    result_expires: int = Field(default=86_400, ge=60, description="seconds results are kept")

    # --- the outbox relay -------------------------------------------------------------------
    relay_batch_size: int = Field(default=100, ge=1, le=10_000)
    relay_poll_interval: float = Field(default=1.0, gt=0, description="seconds between idle polls")
    relay_max_backoff: float = Field(
        default=300.0, gt=0, description="cap in seconds of a failed publication's backoff"
    )

    # --- periodic work ----------------------------------------------------------------------
    reminder_interval: float = Field(default=60.0, gt=0, description="seconds between passes")
    reminder_pass_seconds: float = Field(
        default=60.0,
        gt=0,
        description=(
            "seconds after which a pass stops taking new batches and hands the rest to a new"
            " pass: well inside soft_time_limit, which would otherwise interrupt a batch after"
            " its e-mails left and before its commit (and they would be sent again)"
        ),
    )
    reminder_batch_size: int = Field(default=500, ge=1, le=10_000)
    retention_days: int = Field(
        default=30, ge=1, description="days soft-deleted rows are kept before they are purged"
    )
    digest_local_hour: int = Field(
        default=8, ge=0, le=23, description="the clinic-local hour of the daily digest"
    )
    clock_offset_seconds: float = Field(
        default=0.0,
        ge=0,
        description=(
            "seconds the jobs' clock runs ahead of real time: end-to-end tests and demos see"
            " tomorrow's reminders today; leave at 0 in production"
        ),
    )

    # --- Flower -----------------------------------------------------------------------------
    flower_address: str = "127.0.0.1"
    flower_port: int = Field(default=5555, ge=1, le=65535)
    flower_user: str = "admin"
    #: No default: ``vet-clinic-jobs flower`` refuses to start without one.
    flower_password: SecretStr | None = None

    @property
    def broker_url(self) -> str:
        return celery_redis_url(platform_redis_url())


@lru_cache(maxsize=1)
def get_settings() -> JobsSettings:
    """The settings of this process, read once."""
    return JobsSettings()


__all__ = ["JobsSettings", "celery_redis_url", "get_settings", "platform_redis_url"]
