"""Fixtures of the payment tests: a real localstripe on loopback and Stripe-signed webhooks.

localstripe runs in a child process, bound to 127.0.0.1 on a port the OS picks (never on
every interface), with its on-disk snapshot switched off so parallel runs share nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from payments.builders import Rows
from vet_services.payments.gateway import StripeGateway
from vet_services.payments.loopback import localstripe_server
from vet_services.payments.settings import StripeSettings

API_KEY = "sk_test_12345"
WEBHOOK_SECRET = "whsec_test_" + "a1b2c3d4e5f6" * 3


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    """The base address of a localstripe server on loopback."""
    with localstripe_server() as url:
        yield url


@pytest.fixture(scope="session")
def stripe_settings(localstripe_url: str) -> StripeSettings:
    return StripeSettings(
        api_key=API_KEY,
        api_base=localstripe_url,
        webhook_secret=WEBHOOK_SECRET,
        max_network_retries=0,
    )


@pytest_asyncio.fixture(loop_scope="session")
async def gateway(stripe_settings: StripeSettings) -> AsyncIterator[StripeGateway]:
    gateway = StripeGateway(stripe_settings)
    yield gateway
    await gateway.aclose()


@pytest.fixture
def stripe_client(localstripe_url: str) -> stripe.StripeClient:
    """The SDK used directly, as a customer's browser (Stripe.js) or the dashboard would."""
    return stripe.StripeClient(API_KEY, base_addresses={"api": localstripe_url})


@pytest.fixture
def rows(db_session: AsyncSession) -> Rows:
    return Rows(db_session)


class Card:
    """Test card numbers localstripe understands."""

    OK = "4242424242424242"
    DECLINED = "4000000000000341"


async def card_payment_method(client: stripe.StripeClient, number: str = Card.OK) -> str:
    method = await client.v1.payment_methods.create_async(
        {
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    return method.id


def sign(payload: str, secret: str = WEBHOOK_SECRET, *, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header exactly as Stripe makes it: HMAC-SHA256 of ``t.payload``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event_body(event_type: str, obj: dict[str, Any], *, event_id: str | None = None) -> str:
    """A Stripe event envelope around ``obj`` (as Stripe serializes it: compact JSON)."""
    return json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
            "data": {"object": obj},
        },
        separators=(",", ":"),
    )
