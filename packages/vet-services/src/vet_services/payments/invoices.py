"""Invoices: numbered per clinic without gaps or duplicates, printable as HTML.

Numbers look like ``INV-9F3C1A2B7D4E-2026-00042``: the clinic's tag, the year and a counter.
The tag is the *end* of the clinic's UUIDv7 (48 random bits; the start is a timestamp that
clinics created together share), so clinics do not collide on the globally unique column. Two invoices
of one clinic issued at the same moment must not get the same counter, so numbering takes a
transaction-scoped advisory lock keyed by the clinic; other clinics are not held up.

The printable document is rendered with Jinja2 (autoescaped: product and clinic names are
user input) from the order's price snapshots, never from today's catalogue prices, with
amounts formatted from minor units using the currency's own exponent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from vet_core.exceptions import BusinessRuleException, NotFoundException
from vet_core.models.clinics import Clinic
from vet_core.models.commerce import Invoice, Order, Payment
from vet_core.models.enums import AuditAction, InvoiceStatus, OrderStatus, PaymentStatus
from vet_core.models.identity import User
from vet_core.models.scheduling import Appointment
from vet_core.utils.money import currency_exponent, from_minor_units
from vet_core.utils.time import to_zone, utcnow
from vet_services.audit import record_change, snapshot
from vet_services.auth.permissions import Actor

_PAID_ORDER_STATUSES = frozenset({OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.REFUNDED})
_INVOICEABLE = _PAID_ORDER_STATUSES | {OrderStatus.PENDING_PAYMENT}
_RECEIPTED_PAYMENTS = frozenset(
    {PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
)


def format_money(minor: int, currency: str) -> str:
    """``123456`` USD → ``USD 1,234.56``; ``5000`` JPY → ``JPY 5,000``."""
    exponent = currency_exponent(currency)
    return f"{currency} {from_minor_units(minor, currency):,.{exponent}f}"


def clinic_tag(clinic_id: uuid.UUID) -> str:
    """The clinic's part of an invoice number: 12 hex digits of its id's random tail."""
    return clinic_id.hex[-12:].upper()


async def next_invoice_number(session: AsyncSession, clinic_id: uuid.UUID, year: int) -> str:
    """The clinic's next number this year; holds the clinic's numbering lock until commit."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"invoice-number:{clinic_id}"},
    )
    prefix = f"INV-{clinic_tag(clinic_id)}-{year}-"
    issued = (
        await session.execute(
            select(func.count())
            .select_from(Invoice)
            .where(Invoice.clinic_id == clinic_id, Invoice.number.startswith(prefix))
        )
    ).scalar_one()
    return f"{prefix}{issued + 1:05d}"


def _visible(actor: Actor, user_id: uuid.UUID, clinic_id: uuid.UUID) -> bool:
    return (
        actor.is_platform_admin or actor.user_id == user_id or clinic_id in actor.staff_clinic_ids()
    )


async def issue_order_invoice(session: AsyncSession, actor: Actor, order_id: uuid.UUID) -> Invoice:
    """The invoice of a placed order (issued once; asking again returns the same one)."""
    order = (
        await session.execute(select(Order).where(Order.id == order_id).with_for_update())
    ).scalar_one_or_none()
    if order is None or not _visible(actor, order.user_id, order.clinic_id):
        raise NotFoundException("Order not found", code="ORDER_NOT_FOUND")
    existing = (
        await session.execute(select(Invoice).where(Invoice.order_id == order.id))
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    if order.status not in _INVOICEABLE:
        raise BusinessRuleException(
            f"An order that is {order.status.value} is not invoiced",
            details={"status": order.status.value},
            code="ORDER_NOT_INVOICEABLE",
        )
    now = utcnow()
    paid = order.status in _PAID_ORDER_STATUSES
    invoice = Invoice(
        number=await next_invoice_number(session, order.clinic_id, now.year),
        user_id=order.user_id,
        clinic_id=order.clinic_id,
        order_id=order.id,
        appointment_id=order.appointment_id,
        status=InvoiceStatus.PAID if paid else InvoiceStatus.OPEN,
        currency=order.currency,
        amount_due=order.total_amount,
        amount_paid=order.total_amount if paid else 0,
        issued_at=now,
        paid_at=now if paid else None,
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    session.add(invoice)
    await session.flush()
    await record_change(
        session, actor, AuditAction.CREATE, "invoice", invoice.id, after=snapshot(invoice)
    )
    return invoice


async def issue_deposit_receipt(
    session: AsyncSession, actor: Actor, payment_id: uuid.UUID
) -> Invoice:
    """A paid invoice (a receipt) for an appointment deposit that succeeded; issued once.

    The payment points at its receipt (``payments.invoice_id``), which is how a second request
    finds the first receipt.
    """
    payment = (
        await session.execute(select(Payment).where(Payment.id == payment_id).with_for_update())
    ).scalar_one_or_none()
    appointment = None
    if payment is not None and payment.appointment_id is not None and payment.order_id is None:
        appointment = (
            await session.execute(
                select(Appointment).where(Appointment.id == payment.appointment_id)
            )
        ).scalar_one_or_none()
    if (
        payment is None
        or appointment is None
        or not _visible(actor, payment.user_id, appointment.clinic_id)
    ):
        raise NotFoundException("Payment not found", code="PAYMENT_NOT_FOUND")
    if payment.invoice_id is not None:
        return (
            await session.execute(select(Invoice).where(Invoice.id == payment.invoice_id))
        ).scalar_one()
    if payment.status not in _RECEIPTED_PAYMENTS:
        raise BusinessRuleException(
            "Only a paid deposit gets a receipt",
            details={"status": payment.status.value},
            code="PAYMENT_NOT_PAID",
        )
    now = utcnow()
    invoice = Invoice(
        number=await next_invoice_number(session, appointment.clinic_id, now.year),
        user_id=payment.user_id,
        clinic_id=appointment.clinic_id,
        appointment_id=appointment.id,
        status=InvoiceStatus.PAID,
        currency=payment.currency,
        amount_due=payment.amount,
        amount_paid=payment.amount,
        issued_at=now,
        paid_at=payment.paid_at or now,
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    session.add(invoice)
    await session.flush()
    before = snapshot(payment, ["invoice_id"])
    payment.invoice_id = invoice.id
    await session.flush()
    await record_change(
        session, actor, AuditAction.CREATE, "invoice", invoice.id, after=snapshot(invoice)
    )
    await record_change(
        session,
        actor,
        AuditAction.UPDATE,
        "payment",
        payment.id,
        before=before,
        after=snapshot(payment, ["invoice_id"]),
    )
    return invoice


@dataclass(frozen=True, slots=True)
class _Line:
    name: str
    quantity: int
    unit: str
    total: str


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Invoice {{ invoice.number }}</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
  table { border-collapse: collapse; width: 100%; margin-top: 1.5rem; }
  th, td { padding: .4rem .6rem; border-bottom: 1px solid #ddd; text-align: left; }
  td.num, th.num { text-align: right; }
  tfoot td { font-weight: 600; border-bottom: none; }
  @media print { body { margin: 0; } }
</style>
</head>
<body>
<header>
  <h1>{{ "Receipt" if paid else "Invoice" }} {{ invoice.number }}</h1>
  <p class="clinic"><strong>{{ clinic.name }}</strong><br>
    {{ clinic.address_line1 }}{% if clinic.address_line2 %}, {{ clinic.address_line2 }}{% endif %}<br>
    {% if clinic.postal_code %}{{ clinic.postal_code }} {% endif %}{{ clinic.city }}, {{ clinic.country_code }}
    {% if clinic.phone %}<br>{{ clinic.phone }}{% endif %}
    {% if clinic.email %}<br>{{ clinic.email }}{% endif %}</p>
  <p class="customer">Billed to: {{ customer.first_name }} {{ customer.last_name }} &lt;{{ customer.email }}&gt;</p>
  <p class="dates">Issued: {{ issued_on }}{% if paid_on %} · Paid: {{ paid_on }}{% endif %}</p>
</header>
<table>
  <thead><tr><th>Item</th><th class="num">Qty</th><th class="num">Unit price</th><th class="num">Amount</th></tr></thead>
  <tbody>
  {% for line in lines %}
    <tr><td>{{ line.name }}</td><td class="num">{{ line.quantity }}</td><td class="num">{{ line.unit }}</td><td class="num">{{ line.total }}</td></tr>
  {% endfor %}
  </tbody>
  <tfoot>
    <tr><td colspan="3" class="num">Subtotal</td><td class="num subtotal">{{ subtotal }}</td></tr>
    {% if discount %}<tr><td colspan="3" class="num">Discount</td><td class="num discount">-{{ discount }}</td></tr>{% endif %}
    <tr><td colspan="3" class="num">Tax</td><td class="num tax">{{ tax }}</td></tr>
    <tr><td colspan="3" class="num">Total</td><td class="num total">{{ total }}</td></tr>
    <tr><td colspan="3" class="num">Paid</td><td class="num paid">{{ amount_paid }}</td></tr>
    <tr><td colspan="3" class="num">Balance due</td><td class="num balance">{{ balance }}</td></tr>
  </tfoot>
</table>
</body>
</html>
"""

_environment = Environment(
    loader=DictLoader({"invoice.html": _TEMPLATE}),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _local_date(moment: datetime | None, clinic: Clinic) -> str | None:
    return None if moment is None else to_zone(moment, clinic.timezone).date().isoformat()


async def render_invoice_html(session: AsyncSession, actor: Actor, invoice_id: uuid.UUID) -> str:
    """The invoice (a receipt once paid) as a self-contained, printable HTML page."""
    invoice = (
        await session.execute(select(Invoice).where(Invoice.id == invoice_id))
    ).scalar_one_or_none()
    if invoice is None or not _visible(actor, invoice.user_id, invoice.clinic_id):
        raise NotFoundException("Invoice not found", code="INVOICE_NOT_FOUND")
    clinic = (
        await session.execute(select(Clinic).where(Clinic.id == invoice.clinic_id))
    ).scalar_one()
    customer = (await session.execute(select(User).where(User.id == invoice.user_id))).scalar_one()
    currency = invoice.currency

    def money(minor: int) -> str:
        return format_money(minor, currency)

    lines: list[_Line]
    if invoice.order_id is not None:
        order = (
            await session.execute(
                select(Order).where(Order.id == invoice.order_id).options(selectinload(Order.items))
            )
        ).scalar_one()
        lines = [
            _Line(item.name, item.quantity, money(item.unit_amount), money(item.total_amount))
            for item in sorted(order.items, key=lambda i: (i.created_at, i.name))
        ]
        subtotal, tax, discount = order.subtotal_amount, order.tax_amount, order.discount_amount
    else:
        label = "Appointment"
        if invoice.appointment_id is not None:
            appointment = (
                await session.execute(
                    select(Appointment).where(Appointment.id == invoice.appointment_id)
                )
            ).scalar_one_or_none()
            if appointment is not None:
                kind = appointment.service_type.value.replace("_", " ")
                label = f"Deposit: {kind} on {_local_date(appointment.starts_at, clinic)}"
        amount = money(invoice.amount_due)
        lines = [_Line(label, 1, amount, amount)]
        subtotal, tax, discount = invoice.amount_due, 0, 0
    return _environment.get_template("invoice.html").render(
        invoice=invoice,
        clinic=clinic,
        customer=customer,
        paid=invoice.status is InvoiceStatus.PAID,
        issued_on=_local_date(invoice.issued_at or invoice.created_at, clinic),
        paid_on=_local_date(invoice.paid_at, clinic),
        lines=lines,
        subtotal=money(subtotal),
        discount=money(discount) if discount else None,
        tax=money(tax),
        total=money(invoice.amount_due),
        amount_paid=money(invoice.amount_paid),
        balance=money(max(invoice.amount_due - invoice.amount_paid, 0)),
    )


__all__ = [
    "clinic_tag",
    "format_money",
    "issue_deposit_receipt",
    "issue_order_invoice",
    "next_invoice_number",
    "render_invoice_html",
]
