"""How to reach each notification provider, read from the environment (one class per provider).

Every base address is a setting, never a constant: production points at the provider, tests at
a real server on loopback that speaks the same protocol.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class SmtpSettings(BaseSettings):
    """The SMTP relay that sends e-mail (``SMTP_*``)."""

    model_config = SettingsConfigDict(env_prefix="SMTP_", env_file=".env", extra="ignore")

    host: str = "localhost"
    port: int = Field(default=587, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    from_address: str = "reminders@vet-platform.invalid"
    from_name: str = "Vet Clinic Platform"
    #: Implicit TLS from the first byte (port 465).
    use_tls: bool = False
    #: STARTTLS after connecting; ``None`` upgrades when the server offers it.
    start_tls: bool | None = None
    timeout: float = Field(default=10.0, gt=0, description="seconds per SMTP operation")


class TwilioSettings(BaseSettings):
    """Twilio's Programmable Messaging REST API (``TWILIO_*``)."""

    model_config = SettingsConfigDict(env_prefix="TWILIO_", env_file=".env", extra="ignore")

    base_url: str = "https://api.twilio.com"
    account_sid: str = ""
    auth_token: SecretStr = SecretStr("")
    from_number: str = ""
    #: Optional Messaging Service SID; used instead of ``from_number`` when set.
    messaging_service_sid: str | None = None
    timeout: float = Field(default=10.0, gt=0)


class FcmSettings(BaseSettings):
    """Firebase Cloud Messaging HTTP v1 (``FCM_*``).

    ``access_token`` is an OAuth 2 bearer token minted from the project's service account by the
    deployment (it expires hourly, so the process that owns the credentials refreshes it).
    """

    model_config = SettingsConfigDict(env_prefix="FCM_", env_file=".env", extra="ignore")

    base_url: str = "https://fcm.googleapis.com"
    project_id: str = ""
    access_token: SecretStr = SecretStr("")
    timeout: float = Field(default=10.0, gt=0)


__all__ = ["FcmSettings", "SmtpSettings", "TwilioSettings"]
