"""Stripe settings (``STRIPE_*``), read from the environment when a process starts.

``STRIPE_API_BASE`` exists so that tests and local development talk to a Stripe-compatible
server on loopback (localstripe) instead of api.stripe.com; production leaves it unset.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vet_core.exceptions import SchemaValidationException
from vet_core.utils.money import validate_currency_code

STRIPE_DEFAULT_API_BASE = "https://api.stripe.com"


class StripeSettings(BaseSettings):
    """How to reach Stripe and how to verify the webhooks it sends."""

    model_config = SettingsConfigDict(env_prefix="STRIPE_", env_file=".env", extra="ignore")

    api_key: SecretStr = Field(description="secret key, sk_live_… or sk_test_…")
    api_base: str = Field(
        default=STRIPE_DEFAULT_API_BASE,
        description="base address of the Stripe API; a loopback server in tests",
    )
    webhook_secret: SecretStr = Field(description="signing secret of the endpoint, whsec_…")
    webhook_tolerance_seconds: int = Field(
        default=300, ge=1, description="older signatures are refused (replay protection)"
    )
    default_currency: str = "USD"
    max_network_retries: int = Field(default=2, ge=0, le=10)
    timeout_seconds: float = Field(default=30.0, gt=0)

    @field_validator("default_currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        try:
            return validate_currency_code(value.upper())
        except SchemaValidationException as error:
            raise ValueError(error.message) from error

    @field_validator("api_base")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


__all__ = ["STRIPE_DEFAULT_API_BASE", "StripeSettings"]
