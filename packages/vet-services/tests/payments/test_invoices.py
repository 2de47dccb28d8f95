"""Invoices: numbered per clinic, printable HTML with the clinic, items, tax and totals."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest
import stripe
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payments.builders import Rows
from payments.conftest import card_payment_method
from payments.flows import deliver, intent_as_stripe_sends_it, order_of, paid_order, shop
from vet_core.database.session import SessionFactory, transaction
from vet_core.exceptions import BusinessRuleException
from vet_core.models.commerce import Invoice
from vet_core.models.enums import AppointmentStatus, InvoiceStatus
from vet_core.schemas.commerce import OrderCreate, OrderItemCreate
from vet_services.commerce.orders import place_order
from vet_services.payments.gateway import StripeGateway
from vet_services.payments.invoices import (
    clinic_tag,
    format_money,
    issue_deposit_receipt,
    issue_order_invoice,
    render_invoice_html,
)
from vet_services.payments.service import create_deposit_payment
from vet_services.payments.settings import StripeSettings


def test_amounts_are_formatted_with_the_currencys_own_exponent() -> None:
    assert format_money(123_456, "USD") == "USD 1,234.56"
    assert format_money(5_000, "JPY") == "JPY 5,000"
    assert format_money(1_234, "KWD") == "KWD 1.234"
    assert format_money(0, "EUR") == "EUR 0.00"


async def test_invoices_are_numbered_per_clinic_and_issued_once(
    db_session: AsyncSession, rows: Rows
) -> None:
    at = await shop(rows)
    other = await shop(rows)
    first = await issue_order_invoice(
        db_session, at.owner.actor, (await order_of(db_session, rows, at)).id
    )
    second_order = await order_of(db_session, rows, at)
    second = await issue_order_invoice(db_session, at.admin.actor, second_order.id)
    elsewhere = await issue_order_invoice(
        db_session, other.owner.actor, (await order_of(db_session, rows, other)).id
    )
    again = await issue_order_invoice(db_session, at.owner.actor, second_order.id)

    year = first.issued_at.year if first.issued_at else 0
    assert first.number == f"INV-{clinic_tag(at.clinic.id)}-{year}-00001"
    assert second.number == f"INV-{clinic_tag(at.clinic.id)}-{year}-00002"
    assert elsewhere.number == f"INV-{clinic_tag(other.clinic.id)}-{year}-00001"
    assert again.id == second.id
    assert (first.status, first.amount_due, first.amount_paid) == (InvoiceStatus.OPEN, 5_400, 0)


async def test_the_printable_receipt_shows_clinic_items_tax_and_totals(
    db_session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
) -> None:
    at = await shop(rows, tax_rate_bps=800)
    order, _ = await paid_order(db_session, rows, gateway, stripe_client, stripe_settings, at)
    invoice = await issue_order_invoice(db_session, at.owner.actor, order.id)

    html = await render_invoice_html(db_session, at.owner.actor, invoice.id)

    assert invoice.status is InvoiceStatus.PAID
    assert f"Receipt {invoice.number}" in html
    assert "Harbor Vet Clinic" in html
    assert "12 Quay Street" in html
    assert re.search(r"Salmon Kibble 2kg</td><td class=\"num\">2</td>", html)
    assert "USD 25.00" in html  # unit price
    assert re.search(r'class="num subtotal">USD 50.00<', html)
    assert re.search(r'class="num tax">USD 4.00<', html)
    assert re.search(r'class="num total">USD 54.00<', html)
    assert re.search(r'class="num balance">USD 0.00<', html)


async def test_names_are_escaped_in_the_document(db_session: AsyncSession, rows: Rows) -> None:
    at = await shop(rows)
    product = await rows.product(at.clinic, name="<script>alert(1)</script> treats")
    order = await place_order(
        db_session,
        at.owner.actor,
        OrderCreate(
            clinic_id=at.clinic.id,
            currency="USD",
            items=[OrderItemCreate(product_id=product.id)],
        ),
    )
    invoice = await issue_order_invoice(db_session, at.owner.actor, order.id)

    html = await render_invoice_html(db_session, at.admin.actor, invoice.id)

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; treats" in html


async def test_concurrent_invoices_of_one_clinic_get_distinct_consecutive_numbers(
    committed_session_factory: SessionFactory,
) -> None:
    async with transaction(committed_session_factory) as session:
        rows = Rows(session)
        at = await shop(rows)
        orders = [(await order_of(session, rows, at)).id for _ in range(8)]

    async def issue(order_id: uuid.UUID) -> str:
        async with transaction(committed_session_factory) as session:
            return (await issue_order_invoice(session, at.owner.actor, order_id)).number

    numbers = await asyncio.gather(*(issue(order_id) for order_id in orders))

    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 9))
    async with transaction(committed_session_factory) as session:
        stored = (await session.execute(select(Invoice.number))).scalars().all()
    assert sorted(stored) == sorted(numbers)


async def test_a_paid_deposit_gets_one_receipt(
    db_session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
) -> None:
    clinic = await rows.clinic()
    owner = await rows.person()
    visit = await rows.appointment(
        await rows.pet(owner),
        await rows.veterinarian(clinic),
        clinic,
        status=AppointmentStatus.CONFIRMED,
    )
    start = await create_deposit_payment(
        db_session, owner.actor, gateway, visit.id, amount=4_500, currency="USD"
    )
    with pytest.raises(BusinessRuleException) as caught:
        await issue_deposit_receipt(db_session, owner.actor, start.payment.id)
    assert caught.value.code == "PAYMENT_NOT_PAID"
    intent_id = str(start.payment.stripe_payment_intent_id)
    await gateway.confirm_payment_intent(
        intent_id,
        payment_method=await card_payment_method(stripe_client),
        idempotency_key=intent_id,
    )
    await deliver(
        db_session,
        stripe_settings,
        "payment_intent.succeeded",
        await intent_as_stripe_sends_it(stripe_client, intent_id),
    )

    receipt = await issue_deposit_receipt(db_session, owner.actor, start.payment.id)
    again = await issue_deposit_receipt(db_session, owner.actor, start.payment.id)
    html = await render_invoice_html(db_session, owner.actor, receipt.id)

    assert again.id == receipt.id
    assert start.payment.invoice_id == receipt.id
    assert (receipt.status, receipt.amount_paid) == (InvoiceStatus.PAID, 4_500)
    assert "Deposit: wellness exam on 2026-05-29" in html
    assert re.search(r'class="num total">USD 45.00<', html)
    assert re.search(r'class="num balance">USD 0.00<', html)
