"""Multi-step set-ups of the payment tests, each made only of real service calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from payments.builders import Person, Rows
from payments.conftest import card_payment_method, event_body, sign
from vet_core.models.clinics import Clinic
from vet_core.models.commerce import Order, Payment
from vet_core.models.enums import StaffRole
from vet_core.schemas.commerce import OrderCreate, OrderItemCreate
from vet_services.commerce.orders import place_order
from vet_services.payments.gateway import StripeGateway
from vet_services.payments.service import create_order_payment
from vet_services.payments.settings import StripeSettings
from vet_services.payments.webhooks import WebhookResult, handle_stripe_webhook


@dataclass(frozen=True)
class Shop:
    clinic: Clinic
    owner: Person
    admin: Person


async def shop(rows: Rows, *, tax_rate_bps: int = 800) -> Shop:
    clinic = await rows.clinic(tax_rate_bps=tax_rate_bps)
    return Shop(clinic, await rows.person(), await rows.staff(clinic, StaffRole.CLINIC_ADMIN))


async def order_of(
    session: AsyncSession, rows: Rows, at: Shop, *, unit_amount: int = 2_500, quantity: int = 2
) -> Order:
    """A placed order awaiting payment (subtotal 50.00, 8 % tax → 54.00 by default)."""
    product = await rows.product(at.clinic, unit_amount=unit_amount)
    return await place_order(
        session,
        at.owner.actor,
        OrderCreate(
            clinic_id=at.clinic.id,
            currency="USD",
            items=[OrderItemCreate(product_id=product.id, quantity=quantity)],
        ),
    )


async def deliver(
    session: AsyncSession, settings: StripeSettings, event_type: str, obj: Any, **kw: Any
) -> WebhookResult:
    """Post one signed event to the webhook handler, as Stripe would."""
    body = event_body(event_type, obj, **kw)
    return await handle_stripe_webhook(session, settings, body.encode(), sign(body))


async def intent_as_stripe_sends_it(client: stripe.StripeClient, intent_id: str) -> Any:
    return (await client.v1.payment_intents.retrieve_async(intent_id)).to_dict()


async def paid_order(
    session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    client: stripe.StripeClient,
    settings: StripeSettings,
    at: Shop,
) -> tuple[Order, Payment]:
    """An order paid by card at localstripe, its success delivered by a signed webhook."""
    order = await order_of(session, rows, at)
    start = await create_order_payment(session, at.owner.actor, gateway, order.id)
    intent_id = str(start.payment.stripe_payment_intent_id)
    await gateway.confirm_payment_intent(
        intent_id,
        payment_method=await card_payment_method(client),
        idempotency_key=f"confirm:{intent_id}",
    )
    await deliver(
        session,
        settings,
        "payment_intent.succeeded",
        await intent_as_stripe_sends_it(client, intent_id),
    )
    return order, start.payment
