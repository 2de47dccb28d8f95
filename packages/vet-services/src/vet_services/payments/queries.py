"""Reading payments and invoices: one's own, or a clinic's for those whose role may see them.

A payment belongs to the clinic of what it pays for: its order, else its appointment (a
deposit), else its invoice. Who sees what:

* everyone signed in: their own payments and invoices;
* a clinic's staff whose role may read its payments (``payment:read``: clinic admins, or an
  API key granted it): every payment of that clinic; any staff member of the clinic: its
  invoices (as :mod:`vet_services.payments.invoices` prints them);
* platform admins (signed in, not through a key): everything.

A single payment or invoice the caller may not see is a 404, indistinguishable from one that
does not exist; asking for a clinic's list without the role is a 403 (the clinic is public).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import NotFoundException, PermissionDeniedException
from vet_core.models.commerce import Invoice, Order, Payment
from vet_core.models.enums import PaymentStatus
from vet_core.models.scheduling import Appointment
from vet_services.auth.permissions import Action, Actor
from vet_services.pagination import Page, PageRequest, keyset, page_of


def _sees_everything(actor: Actor) -> bool:
    return actor.is_platform_admin and actor.api_key_id is None


def may_read_clinic_payments(actor: Actor, clinic_id: uuid.UUID) -> bool:
    """Whether ``actor`` may see every payment of ``clinic_id``."""
    return _sees_everything(actor) or clinic_id in actor.staff_clinic_ids(Action.PAYMENT_READ)


def payments_of_clinics(clinic_ids: Iterable[uuid.UUID]) -> ColumnElement[bool]:
    """Payments whose order, else appointment, else invoice is at one of ``clinic_ids``."""
    clinics = list(clinic_ids)
    return or_(
        Payment.order_id.in_(select(Order.id).where(Order.clinic_id.in_(clinics))),
        and_(
            Payment.order_id.is_(None),
            Payment.appointment_id.in_(
                select(Appointment.id).where(Appointment.clinic_id.in_(clinics))
            ),
        ),
        and_(
            Payment.order_id.is_(None),
            Payment.appointment_id.is_(None),
            Payment.invoice_id.in_(select(Invoice.id).where(Invoice.clinic_id.in_(clinics))),
        ),
    )


async def payment_clinic_id(session: AsyncSession, payment: Payment) -> uuid.UUID | None:
    """The clinic a payment belongs to (``None`` when what it paid for is gone)."""
    if payment.order_id is not None:
        query: Select[uuid.UUID] = select(Order.clinic_id).where(Order.id == payment.order_id)
    elif payment.appointment_id is not None:
        query = select(Appointment.clinic_id).where(Appointment.id == payment.appointment_id)
    elif payment.invoice_id is not None:
        query = select(Invoice.clinic_id).where(Invoice.id == payment.invoice_id)
    else:
        return None
    return (await session.execute(query)).scalar_one_or_none()


async def list_payments(
    session: AsyncSession,
    actor: Actor,
    page: PageRequest,
    *,
    clinic_id: uuid.UUID | None = None,
    statuses: Iterable[PaymentStatus] = (),
) -> Page[Payment]:
    """The caller's payments, or with ``clinic_id`` that clinic's (for those who may read
    them; anyone else gets ``PERMISSION_DENIED``), newest first, optionally of ``statuses``.

    An API key pays for nothing itself: without ``clinic_id`` its page is empty.
    """
    query = select(Payment)
    if clinic_id is not None:
        if not may_read_clinic_payments(actor, clinic_id):
            raise PermissionDeniedException(
                "Your role may not list this clinic's payments",
                details={"action": Action.PAYMENT_READ.value, "clinic_id": str(clinic_id)},
            )
        query = query.where(payments_of_clinics([clinic_id]))
    elif actor.user_id is None:
        return Page(items=[], next_cursor=None, limit=page.limit)
    else:
        query = query.where(Payment.user_id == actor.user_id)
    wanted = list(statuses)
    if wanted:
        query = query.where(Payment.status.in_(wanted))
    paged = keyset(query, Payment.created_at, Payment.id, cursor=page.cursor, limit=page.limit)
    return page_of((await session.scalars(paged)).all(), page.limit)


async def get_payment(session: AsyncSession, actor: Actor, payment_id: uuid.UUID) -> Payment:
    """One payment of the caller's, or of a clinic whose payments they may read."""
    payment = await session.get(Payment, payment_id)
    if payment is not None and (actor.user_id is None or payment.user_id != actor.user_id):
        clinic_id = await payment_clinic_id(session, payment)
        if not _sees_everything(actor) and (
            clinic_id is None or not may_read_clinic_payments(actor, clinic_id)
        ):
            payment = None
    if payment is None:
        raise NotFoundException("Payment not found", code="PAYMENT_NOT_FOUND")
    return payment


async def get_invoice(session: AsyncSession, actor: Actor, invoice_id: uuid.UUID) -> Invoice:
    """One invoice (or receipt): its customer's, its clinic staff's, or a platform admin's."""
    invoice = await session.get(Invoice, invoice_id)
    visible = invoice is not None and (
        actor.is_platform_admin
        or (actor.user_id is not None and actor.user_id == invoice.user_id)
        or invoice.clinic_id in actor.staff_clinic_ids()
    )
    if invoice is None or not visible:
        raise NotFoundException("Invoice not found", code="INVOICE_NOT_FOUND")
    return invoice


__all__ = [
    "get_invoice",
    "get_payment",
    "list_payments",
    "may_read_clinic_payments",
    "payment_clinic_id",
    "payments_of_clinics",
]
