"""Settings of the core layer, read from the environment (one class per concern).

Nothing here connects to anything: settings are plain data, built when a process starts, never at
import time. ``DATABASE_URL`` and ``REDIS_URL`` may be left unset in development and tests, in
which case :mod:`vet_core.embedded` provides real local servers.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class DatabaseSettings(BaseSettings):
    """How to reach PostgreSQL and how to pool connections to it (``DATABASE_*``)."""

    model_config = SettingsConfigDict(env_prefix="DATABASE_", env_file=".env", extra="ignore")

    url: SecretStr | None = Field(
        default=None,
        description="postgresql:// URL; unset means the embedded server in development and tests",
    )
    pool_size: int = Field(default=10, ge=1, le=200)
    max_overflow: int = Field(default=10, ge=0, le=400)
    pool_timeout: float = Field(
        default=30.0, gt=0, description="seconds to wait for a pooled connection"
    )
    pool_recycle: int = Field(
        default=1800, ge=-1, description="seconds before a connection is replaced"
    )
    pool_pre_ping: bool = True
    connect_timeout: float = Field(default=5.0, gt=0, description="seconds to open one connection")
    statement_timeout_ms: int = Field(default=30_000, ge=0, description="0 disables the limit")
    echo: bool = False
    application_name: str = "vet-clinic"
    connect_retries: int = Field(
        default=5, ge=0, description="retries when the server is not up yet"
    )

    @field_validator("url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value


class RedisSettings(BaseSettings):
    """How to reach Redis (``REDIS_URL``); unset means the embedded server in development."""

    model_config = SettingsConfigDict(env_prefix="REDIS_", env_file=".env", extra="ignore")

    url: SecretStr | None = None

    @field_validator("url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value
