"""Reading payments and invoices over HTTP: one's own, a clinic's for its admins, 404 for others."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from vet_core.models.clinics import Clinic
from vet_core.models.commerce import Order, Payment
from vet_core.models.enums import OrderStatus, PaymentStatus
from vet_core.models.identity import User
from vet_core.utils.time import utcnow

from conftest import Api, error_of

PAYMENTS = "/api/v1/payments"


@dataclass
class Till:
    clinic: Clinic
    admin: User
    receptionist: User
    owner: User


async def till(api: Api) -> Till:
    clinic = await api.clinic()
    return Till(
        clinic=clinic,
        admin=await api.staff(clinic, "clinic_admin"),
        receptionist=await api.staff(clinic, "receptionist"),
        owner=await api.user(),
    )


async def order(api: Api, clinic: Clinic, customer: User, total: int = 2500) -> Order:
    row = Order(
        user_id=customer.id,
        clinic_id=clinic.id,
        status=OrderStatus.PENDING_PAYMENT,
        currency="USD",
        subtotal_amount=total,
        tax_amount=0,
        discount_amount=0,
        total_amount=total,
        placed_at=utcnow(),
    )
    api.session.add(row)
    await api.session.flush()
    return row


async def payment(
    api: Api,
    payer: User,
    *,
    order_row: Order | None = None,
    appointment_id: uuid.UUID | None = None,
    status: PaymentStatus = PaymentStatus.SUCCEEDED,
) -> Payment:
    row = Payment(
        user_id=payer.id,
        order_id=order_row.id if order_row else None,
        appointment_id=appointment_id,
        amount=order_row.total_amount if order_row else 2000,
        currency="USD",
        status=status,
        stripe_payment_intent_id=f"pi_{uuid.uuid4().hex}",
    )
    api.session.add(row)
    await api.session.flush()
    return row


async def test_the_caller_lists_their_payments_page_by_page(api: Api) -> None:
    t = await till(api)
    made = [
        await payment(api, t.owner, order_row=await order(api, t.clinic, t.owner)) for _ in range(3)
    ]
    failed = await payment(
        api, t.owner, order_row=await order(api, t.clinic, t.owner), status=PaymentStatus.FAILED
    )
    someone_else = await api.user()
    await payment(api, someone_else, order_row=await order(api, t.clinic, someone_else))

    first = await api.client.get(PAYMENTS, params={"limit": 3}, headers=api.auth(t.owner))
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["limit"] == 3
    newest_first = [str(failed.id), str(made[2].id), str(made[1].id)]
    assert [p["id"] for p in body["items"]] == newest_first
    assert body["next_cursor"]
    second = await api.client.get(
        PAYMENTS, params={"limit": 3, "cursor": body["next_cursor"]}, headers=api.auth(t.owner)
    )
    assert [p["id"] for p in second.json()["items"]] == [str(made[0].id)]
    assert second.json()["next_cursor"] is None
    assert "stripe_payment_intent_id" not in second.json()["items"][0]

    only_failed = await api.client.get(
        PAYMENTS, params={"status": "failed"}, headers=api.auth(t.owner)
    )
    assert [p["id"] for p in only_failed.json()["items"]] == [str(failed.id)]


async def test_clinic_admins_list_their_clinics_payments(api: Api) -> None:
    t = await till(api)
    other = await till(api)
    _, vet = await api.veterinarian(t.clinic)
    pet = await api.pet(t.owner)
    visit = await api.appointment(pet, vet, t.clinic, t.owner)
    by_order = await payment(api, t.owner, order_row=await order(api, t.clinic, t.owner))
    deposit = await payment(api, t.owner, appointment_id=visit.id)
    await payment(api, other.owner, order_row=await order(api, other.clinic, other.owner))

    mine = {"clinic_id": str(t.clinic.id)}
    listed = await api.client.get(PAYMENTS, params=mine, headers=api.auth(t.admin))
    assert listed.status_code == 200, listed.text
    assert {p["id"] for p in listed.json()["items"]} == {str(by_order.id), str(deposit.id)}
    assert (await api.client.get(PAYMENTS, headers=api.auth(t.admin))).json()["items"] == []

    for who in (t.receptionist, t.owner, other.admin):
        refused = await api.client.get(PAYMENTS, params=mine, headers=api.auth(who))
        assert refused.status_code == 403, who.role
        assert error_of(refused)["code"] == "PERMISSION_DENIED"


async def test_one_payment_is_seen_by_its_payer_and_its_clinics_admin(api: Api) -> None:
    t = await till(api)
    other = await till(api)
    paid = await payment(api, t.owner, order_row=await order(api, t.clinic, t.owner))
    path = f"{PAYMENTS}/{paid.id}"

    seen = await api.client.get(path, headers=api.auth(t.owner))
    assert seen.status_code == 200, seen.text
    assert seen.json()["amount"] == 2500
    assert (await api.client.get(path, headers=api.auth(t.admin))).status_code == 200
    for who in (await api.user(), other.admin, t.receptionist):
        hidden = await api.client.get(path, headers=api.auth(who))
        assert hidden.status_code == 404
        assert error_of(hidden)["code"] == "PAYMENT_NOT_FOUND"
    assert (
        await api.client.get(f"{PAYMENTS}/{uuid.uuid4()}", headers=api.auth(t.owner))
    ).status_code == 404
    assert (await api.client.get(path)).status_code == 401


async def test_payment_list_parameters_are_checked(api: Api) -> None:
    owner = await api.user()
    for params, field in (
        ({"limit": 0}, "query.limit"),
        ({"limit": 101}, "query.limit"),
        ({"status": "lost"}, "query.status.0"),
        ({"clinic_id": "nope"}, "query.clinic_id"),
    ):
        invalid = await api.client.get(PAYMENTS, params=params, headers=api.auth(owner))
        assert invalid.status_code == 422, params
        assert error_of(invalid)["details"]["fields"][0]["field"] == field
    bad_cursor = await api.client.get(PAYMENTS, params={"cursor": "abc"}, headers=api.auth(owner))
    assert bad_cursor.status_code == 422
    assert error_of(bad_cursor)["code"] == "INVALID_CURSOR"
    assert (await api.client.get(PAYMENTS)).status_code == 401


async def test_an_invoice_reads_as_json_for_its_people_only(api: Api) -> None:
    t = await till(api)
    placed = await order(api, t.clinic, t.owner)
    issued = await api.client.post(f"/api/v1/orders/{placed.id}/invoice", headers=api.auth(t.owner))
    assert issued.status_code == 201, issued.text
    invoice = issued.json()
    path = f"/api/v1/invoices/{invoice['id']}"

    read = await api.client.get(path, headers=api.auth(t.owner))
    assert read.status_code == 200
    assert read.headers["content-type"].startswith("application/json")
    assert read.json() == invoice
    assert read.json()["status"] == "open"
    assert (await api.client.get(path, headers=api.auth(t.receptionist))).status_code == 200
    stranger = await api.client.get(path, headers=api.auth(await api.user()))
    assert stranger.status_code == 404
    assert error_of(stranger)["code"] == "INVOICE_NOT_FOUND"
    page = await api.client.get(f"{path}/html", headers=api.auth(t.owner))
    assert page.status_code == 200
    assert invoice["number"] in page.text
    invalid = await api.client.get("/api/v1/invoices/not-a-uuid", headers=api.auth(t.owner))
    assert invalid.status_code == 422
    assert error_of(invalid)["details"]["fields"][0]["field"] == "path.invoice_id"
    assert (await api.client.get(path)).status_code == 401
