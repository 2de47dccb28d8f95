"""Settings of the API process, one class per concern, all from the environment."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vet_core.config import DatabaseSettings, RedisSettings
from vet_services.auth.clerk import ClerkSettings


class HttpSettings(BaseSettings):
    """How the API talks HTTP (``API_*``)."""

    model_config = SettingsConfigDict(env_prefix="API_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "production"
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="request body limit")
    rate_limit_per_minute_ip: int = Field(default=600, ge=1)
    rate_limit_per_minute_user: int = Field(default=300, ge=1)
    idempotency_ttl_seconds: int = Field(default=86_400, ge=60)
    actor_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        le=300,
        description="how long a process reuses a signed-in user's role, memberships and status "
        "(the longest a role change or suspension takes to apply); 0 disables the cache",
    )
    db_ping_idle_seconds: float = Field(
        default=5.0,
        ge=0,
        le=3600,
        description="with DATABASE_POOL_PRE_PING on, ping a pooled connection before use only "
        "when it sat idle this long (a connection used moments ago is used as it is); "
        "0 pings on every checkout",
    )
    docs: bool = True

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip().startswith("["):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value


class ReadReplicaSettings(BaseSettings):
    """An optional read replica for heavy reads (search, reports): ``DATABASE_READ_URL``."""

    model_config = SettingsConfigDict(env_prefix="DATABASE_READ_", env_file=".env", extra="ignore")

    url: SecretStr | None = None


class AppSettings:
    """Every concern's settings for one API process."""

    def __init__(
        self,
        *,
        http: HttpSettings | None = None,
        database: DatabaseSettings | None = None,
        read_replica: ReadReplicaSettings | None = None,
        redis: RedisSettings | None = None,
        clerk: ClerkSettings | None = None,
    ) -> None:
        self.http = http or HttpSettings()
        self.database = database or DatabaseSettings()
        self.read_replica = read_replica or ReadReplicaSettings()
        self.redis = redis or RedisSettings()
        self.clerk = clerk or ClerkSettings()
