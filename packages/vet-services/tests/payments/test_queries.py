"""Reading payments and invoices: one's own, a clinic's for those whose role may, else nothing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from payments.builders import Person, Rows
from vet_core.exceptions import NotFoundException, PermissionDeniedException
from vet_core.models.clinics import Clinic
from vet_core.models.commerce import Invoice, Order, Payment
from vet_core.models.enums import InvoiceStatus, OrderStatus, PaymentStatus, StaffRole, UserRole
from vet_core.utils.time import utcnow
from vet_services.auth.permissions import Action, Actor
from vet_services.pagination import PageRequest
from vet_services.payments import get_invoice, get_payment, list_payments


async def order_of(rows: Rows, clinic: Clinic, customer: Person) -> Order:
    order: Order = await rows.add(
        Order(
            user_id=customer.user.id,
            clinic_id=clinic.id,
            status=OrderStatus.PENDING_PAYMENT,
            currency="USD",
            subtotal_amount=1000,
            tax_amount=0,
            discount_amount=0,
            total_amount=1000,
            placed_at=utcnow(),
        )
    )
    return order


async def paid(
    rows: Rows,
    payer: Person,
    *,
    order: Order | None = None,
    appointment_id: uuid.UUID | None = None,
    invoice_id: uuid.UUID | None = None,
    status: PaymentStatus = PaymentStatus.SUCCEEDED,
) -> Payment:
    payment: Payment = await rows.add(
        Payment(
            user_id=payer.user.id,
            order_id=order.id if order else None,
            appointment_id=appointment_id,
            invoice_id=invoice_id,
            amount=1000,
            currency="USD",
            status=status,
        )
    )
    return payment


async def invoice_of(rows: Rows, clinic: Clinic, customer: Person) -> Invoice:
    invoice: Invoice = await rows.add(
        Invoice(
            number=f"INV-TEST-{uuid.uuid4().hex[:12]}",
            user_id=customer.user.id,
            clinic_id=clinic.id,
            status=InvoiceStatus.OPEN,
            currency="USD",
            amount_due=1000,
        )
    )
    return invoice


async def test_a_clinics_payments_by_order_deposit_and_invoice(
    db_session: AsyncSession, rows: Rows
) -> None:
    clinic, other = await rows.clinic(), await rows.clinic()
    admin = await rows.staff(clinic, StaffRole.CLINIC_ADMIN)
    owner = await rows.person()
    vet = await rows.veterinarian(clinic)
    visit = await rows.appointment(await rows.pet(owner), vet, clinic)
    by_order = await paid(rows, owner, order=await order_of(rows, clinic, owner))
    deposit = await paid(rows, owner, appointment_id=visit.id)
    by_invoice = await paid(rows, owner, invoice_id=(await invoice_of(rows, clinic, owner)).id)
    await paid(rows, owner, order=await order_of(rows, other, owner))

    page = await list_payments(db_session, admin.actor, PageRequest(10), clinic_id=clinic.id)
    assert [p.id for p in page.items] == [by_invoice.id, deposit.id, by_order.id]
    platform = Actor(role=UserRole.PLATFORM_ADMIN, user_id=uuid.uuid4())
    assert (
        len((await list_payments(db_session, platform, PageRequest(10), clinic_id=clinic.id)).items)
        == 3
    )
    key = Actor(
        role=None,
        api_key_id=uuid.uuid4(),
        memberships={clinic.id: StaffRole.CLINIC_ADMIN},
        scopes=frozenset({Action.PAYMENT_READ}),
    )
    assert (
        len((await list_payments(db_session, key, PageRequest(10), clinic_id=clinic.id)).items) == 3
    )
    assert (await list_payments(db_session, key, PageRequest(10))).items == []

    for refused in (
        (await rows.staff(clinic, StaffRole.RECEPTIONIST)).actor,
        (await rows.staff(other, StaffRole.CLINIC_ADMIN)).actor,
        owner.actor,
    ):
        with pytest.raises(PermissionDeniedException):
            await list_payments(db_session, refused, PageRequest(10), clinic_id=clinic.id)


async def test_ones_own_payments_paged_and_filtered(db_session: AsyncSession, rows: Rows) -> None:
    clinic = await rows.clinic()
    owner, other = await rows.person(), await rows.person()
    made = [await paid(rows, owner, order=await order_of(rows, clinic, owner)) for _ in range(3)]
    failed = await paid(
        rows, owner, order=await order_of(rows, clinic, owner), status=PaymentStatus.FAILED
    )
    await paid(rows, other, order=await order_of(rows, clinic, other))

    first = await list_payments(db_session, owner.actor, PageRequest(limit=3))
    assert [p.id for p in first.items] == [failed.id, made[2].id, made[1].id]
    rest = await list_payments(db_session, owner.actor, PageRequest(3, first.next_cursor))
    assert [p.id for p in rest.items] == [made[0].id]
    assert rest.next_cursor is None
    only_failed = await list_payments(
        db_session, owner.actor, PageRequest(10), statuses=[PaymentStatus.FAILED]
    )
    assert [p.id for p in only_failed.items] == [failed.id]


async def test_one_payment_and_one_invoice_are_404_to_others(
    db_session: AsyncSession, rows: Rows
) -> None:
    clinic = await rows.clinic()
    admin = await rows.staff(clinic, StaffRole.CLINIC_ADMIN)
    receptionist = await rows.staff(clinic, StaffRole.RECEPTIONIST)
    owner, stranger = await rows.person(), await rows.person()
    payment = await paid(rows, owner, order=await order_of(rows, clinic, owner))
    invoice = await invoice_of(rows, clinic, owner)

    assert (await get_payment(db_session, owner.actor, payment.id)).id == payment.id
    assert (await get_payment(db_session, admin.actor, payment.id)).id == payment.id
    for outsider in (stranger.actor, receptionist.actor):
        with pytest.raises(NotFoundException) as hidden:
            await get_payment(db_session, outsider, payment.id)
        assert hidden.value.code == "PAYMENT_NOT_FOUND"

    for reader in (owner.actor, admin.actor, receptionist.actor):
        assert (await get_invoice(db_session, reader, invoice.id)).id == invoice.id
    with pytest.raises(NotFoundException) as nosy:
        await get_invoice(db_session, stranger.actor, invoice.id)
    assert nosy.value.code == "INVOICE_NOT_FOUND"
    with pytest.raises(NotFoundException):
        await get_invoice(db_session, owner.actor, uuid.uuid4())
