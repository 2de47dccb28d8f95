"""Stripe settings come from ``STRIPE_*``; the base address is what points tests at loopback."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from vet_services.payments.settings import STRIPE_DEFAULT_API_BASE, StripeSettings


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_from_env")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_from_env")
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:8420/")
    monkeypatch.setenv("STRIPE_DEFAULT_CURRENCY", "eur")

    settings = StripeSettings()

    assert settings.api_key.get_secret_value() == "sk_test_from_env"
    assert settings.api_base == "http://127.0.0.1:8420"
    assert settings.default_currency == "EUR"
    assert "sk_test_from_env" not in repr(settings)


def test_production_talks_to_stripe_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STRIPE_API_BASE", raising=False)
    settings = StripeSettings(api_key="sk_live_x", webhook_secret="whsec_x")
    assert settings.api_base == STRIPE_DEFAULT_API_BASE


def test_an_unsupported_default_currency_is_refused() -> None:
    with pytest.raises(ValidationError):
        StripeSettings(api_key="sk_test_x", webhook_secret="whsec_x", default_currency="XXX")
