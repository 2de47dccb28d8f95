"""The only module that talks to Stripe: PaymentIntents and refunds, as plain snapshots.

The rest of the platform never touches SDK objects. Everything here uses the SDK's asynchronous
client (over httpx), so a slow Stripe never blocks the event loop, and every write carries an
idempotency key: when a request times out and is retried, Stripe answers with the object it
already made instead of charging or refunding twice.

Stripe's errors become vet-core exceptions with stable codes; a card decline is a business
outcome (``PAYMENT_DECLINED``), a network failure is ``PAYMENT_PROVIDER_UNAVAILABLE`` (retry
later), a wrong key is a configuration error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import stripe

from vet_core.exceptions import (
    BusinessRuleException,
    ConfigurationException,
    ConflictException,
    NotFoundException,
    VetCoreException,
)
from vet_services.payments.settings import StripeSettings


class PaymentProviderUnavailable(VetCoreException):
    """Stripe could not be reached or failed on its side; the same request may be retried."""

    code = "PAYMENT_PROVIDER_UNAVAILABLE"
    http_status: ClassVar[int] = 503
    default_message = "The payment provider is unavailable; try again shortly"


@dataclass(frozen=True, slots=True)
class IntentSnapshot:
    """What the platform needs of a PaymentIntent; ``currency`` is upper case (ISO 4217)."""

    id: str
    status: str
    amount: int
    amount_received: int
    currency: str
    client_secret: str | None
    latest_charge_id: str | None
    metadata: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class RefundSnapshot:
    """What the platform needs of a Stripe Refund."""

    id: str
    status: str
    amount: int
    currency: str
    payment_intent_id: str | None
    charge_id: str | None


def _id_of(value: Any) -> str | None:
    """The id of an expandable field, whether Stripe sent the id or the expanded object."""
    if value is None or isinstance(value, str):
        return value
    found = getattr(value, "id", None)
    return found if isinstance(found, str) else None


def _metadata(obj: stripe.StripeObject) -> dict[str, str]:
    raw: Any = obj.to_dict().get("metadata") or {}
    return {str(key): str(value) for key, value in dict(raw).items()}


def _intent(obj: stripe.PaymentIntent) -> IntentSnapshot:
    return IntentSnapshot(
        id=obj.id,
        status=str(obj.status),
        amount=int(obj.amount),
        amount_received=int(getattr(obj, "amount_received", 0) or 0),
        currency=str(obj.currency).upper(),
        client_secret=obj.client_secret,
        latest_charge_id=_id_of(getattr(obj, "latest_charge", None)),
        metadata=_metadata(obj),
    )


def _refund(obj: stripe.Refund) -> RefundSnapshot:
    return RefundSnapshot(
        id=obj.id,
        status=str(obj.status),
        amount=int(obj.amount),
        currency=str(obj.currency).upper(),
        payment_intent_id=_id_of(getattr(obj, "payment_intent", None)),
        charge_id=_id_of(getattr(obj, "charge", None)),
    )


def _translate(error: stripe.StripeError) -> VetCoreException:
    """The vet-core exception for a Stripe error (the Stripe message is kept for support)."""
    details: dict[str, Any] = {"stripe_code": error.code, "http_status": error.http_status}
    message = error.user_message or str(error) or None
    if isinstance(error, stripe.CardError):
        return BusinessRuleException(
            message or "The card was declined", details=details, code="PAYMENT_DECLINED"
        )
    if isinstance(error, stripe.IdempotencyError):
        return ConflictException(
            "The idempotency key was already used for a different request",
            details=details,
            code="IDEMPOTENCY_KEY_REUSED",
        )
    if isinstance(error, stripe.InvalidRequestError):
        if error.http_status == 404:
            return NotFoundException(
                "The payment was not found at the provider",
                details=details,
                code="PAYMENT_NOT_FOUND",
            )
        return BusinessRuleException(
            message or "The payment provider refused the request",
            details=details,
            code="PAYMENT_REQUEST_INVALID",
        )
    if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        return ConfigurationException(
            "The payment provider refused our credentials",
            details=details,
            code="PAYMENT_PROVIDER_CREDENTIALS",
        )
    return PaymentProviderUnavailable(details=details)


class StripeGateway:
    """PaymentIntents and refunds over one :class:`stripe.StripeClient`.

    Build one per process (it holds an HTTP connection pool) and close it with :meth:`aclose`.
    """

    def __init__(self, settings: StripeSettings, *, client: stripe.StripeClient | None = None):
        self.settings = settings
        self._http = stripe.HTTPXClient(timeout=settings.timeout_seconds)
        self._client = client or stripe.StripeClient(
            settings.api_key.get_secret_value(),
            base_addresses={"api": settings.api_base},
            max_network_retries=settings.max_network_retries,
            http_client=self._http,
        )

    async def aclose(self) -> None:
        """Release the HTTP connections."""
        await self._http.close_async()  # type: ignore[no-untyped-call]

    async def create_payment_intent(
        self,
        *,
        amount: int,
        currency: str,
        idempotency_key: str,
        metadata: Mapping[str, str] | None = None,
    ) -> IntentSnapshot:
        """Create a card PaymentIntent for ``amount`` minor units; the same key → the same intent."""
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "payment_method_types": ["card"],
            "metadata": dict(metadata or {}),
        }
        try:
            intent = await self._client.v1.payment_intents.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise _translate(error) from error
        return _intent(intent)

    async def retrieve_payment_intent(self, intent_id: str) -> IntentSnapshot:
        """The intent as Stripe has it now (webhooks may lag behind)."""
        try:
            intent = await self._client.v1.payment_intents.retrieve_async(intent_id)
        except stripe.StripeError as error:
            raise _translate(error) from error
        return _intent(intent)

    async def confirm_payment_intent(
        self, intent_id: str, *, payment_method: str, idempotency_key: str
    ) -> IntentSnapshot:
        """Confirm server-side with a saved payment method (Stripe.js does it in browsers).

        The method is attached by an update first, then the intent is confirmed: the two-step
        form every Stripe-compatible server understands.
        """
        try:
            await self._client.v1.payment_intents.update_async(
                intent_id, {"payment_method": payment_method}
            )
            intent = await self._client.v1.payment_intents.confirm_async(
                intent_id, None, {"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as error:
            raise _translate(error) from error
        return _intent(intent)

    async def refund(
        self,
        *,
        payment_intent_id: str,
        amount: int | None,
        idempotency_key: str,
        metadata: Mapping[str, str] | None = None,
    ) -> RefundSnapshot:
        """Refund ``amount`` minor units of a PaymentIntent (``None``: what is left of it)."""
        params: dict[str, Any] = {
            "payment_intent": payment_intent_id,
            "metadata": dict(metadata or {}),
        }
        if amount is not None:
            params["amount"] = amount
        try:
            refund = await self._client.v1.refunds.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise _translate(error) from error
        return _refund(refund)


__all__ = [
    "IntentSnapshot",
    "PaymentProviderUnavailable",
    "RefundSnapshot",
    "StripeGateway",
]
