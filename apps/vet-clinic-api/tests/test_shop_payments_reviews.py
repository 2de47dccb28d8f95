"""The shop, payments, invoices, reviews and the Stripe webhook over HTTP, against the real
database and Redis and a real localstripe on loopback, with who may see and do what."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
import stripe
from sqlalchemy.ext.asyncio import async_sessionmaker

from vet_clinic_api.main import API_PREFIX
from vet_clinic_api.routers import cart, payments, reviews, shop, stripe_webhook
from vet_core.models.clinics import Clinic
from vet_core.models.enums import AppointmentStatus
from vet_core.models.identity import User
from vet_services.payments.loopback import localstripe_server

from conftest import Api, error_of

STRIPE_KEY = "sk_test_12345"
STRIPE_SECRET = "whsec_test_" + "f0e1d2c3b4a5" * 3


@pytest.fixture(scope="module")
def localstripe_url() -> Iterator[str]:
    """The base address of a localstripe server on loopback."""
    with localstripe_server() as url:
        yield url


@pytest_asyncio.fixture(loop_scope="session")
async def api(
    app_factory, db_engine, localstripe_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Api]:
    """conftest's ``api``, on an app that also mounts these routers, with Stripe on loopback."""
    monkeypatch.setenv("STRIPE_API_KEY", STRIPE_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", localstripe_url)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", STRIPE_SECRET)
    monkeypatch.setenv("STRIPE_MAX_NETWORK_RETRIES", "0")
    app = await app_factory()
    for module in (shop, cart, payments, reviews, stripe_webhook):
        app.include_router(module.router, prefix=API_PREFIX)
    async with db_engine.connect() as connection:
        outer = await connection.begin()
        factory = async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        app.state.resources.sessions = factory
        app.state.resources.read_sessions = factory
        session = factory()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Api(client=client, session=session, app=app)
        await session.close()
        await outer.rollback()
    gateway = getattr(app.state, "stripe_gateway", None)
    if gateway is not None:
        await gateway.aclose()


def url(path: str) -> str:
    return f"{API_PREFIX}{path}"


def sign(payload: str, secret: str = STRIPE_SECRET) -> str:
    """``Stripe-Signature`` exactly as Stripe makes it: HMAC-SHA256 of ``t.payload``."""
    t = int(time.time())
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event_body(event_type: str, obj: dict[str, Any]) -> str:
    return json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex[:24]}",
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


async def shop_with_product(api: Api) -> tuple[Clinic, User, dict[str, Any]]:
    """A clinic, its admin, and a product the admin put on sale over HTTP."""
    clinic = await api.clinic()
    admin = await api.staff(clinic, "clinic_admin")
    response = await api.client.post(
        url("/products"),
        json={
            "clinic_id": str(clinic.id),
            "sku": f"FOOD-{uuid.uuid4().hex[:8]}",
            "name": "Kibble 2kg",
            "product_type": "food",
            "unit_amount": 1250,
            "currency": "USD",
            "stock_quantity": 10,
        },
        headers=api.auth(admin),
    )
    assert response.status_code == 201, response.text
    return clinic, admin, response.json()


async def fill_cart(
    api: Api, owner: User, clinic: Clinic, product: dict[str, Any], quantity: int = 2
) -> None:
    """Put ``quantity`` of the product in the owner's cart at the clinic."""
    response = await api.client.put(
        url(f"/cart/items/{product['id']}"),
        params={"clinic_id": str(clinic.id)},
        json={"quantity": quantity},
        headers=api.auth(owner),
    )
    assert response.status_code == 200, response.text


def order_body(clinic: Clinic) -> dict[str, Any]:
    return {"clinic_id": str(clinic.id)}


async def test_catalogue_is_public_and_managed_by_clinic_admins(api: Api) -> None:
    clinic, admin, product = await shop_with_product(api)
    assert product["unit_price"] == "12.50"

    listed = await api.client.get(url("/products"), params={"clinic_id": str(clinic.id)})
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()] == [product["id"]]
    one = await api.client.get(url(f"/products/{product['id']}"))
    assert one.status_code == 200
    assert one.json()["sku"] == product["sku"]
    missing = await api.client.get(url(f"/products/{uuid.uuid4()}"))
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "PRODUCT_NOT_FOUND"

    changed = await api.client.patch(
        url(f"/products/{product['id']}"), json={"unit_amount": 1500}, headers=api.auth(admin)
    )
    assert changed.status_code == 200
    assert changed.json()["unit_amount"] == 1500

    owner = await api.user()
    hidden = await api.client.patch(
        url(f"/products/{product['id']}"), json={"unit_amount": 1}, headers=api.auth(owner)
    )
    assert hidden.status_code == 404  # an outsider learns nothing about the clinic
    receptionist = await api.staff(clinic, "receptionist")
    refused = await api.client.patch(
        url(f"/products/{product['id']}"), json={"unit_amount": 1}, headers=api.auth(receptionist)
    )
    assert refused.status_code == 403
    anonymous = await api.client.post(url("/products"), json={})
    assert anonymous.status_code == 401

    bad = await api.client.post(
        url("/products"),
        json={
            "sku": "X",
            "name": "X",
            "product_type": "food",
            "unit_amount": -1,
            "currency": "USD",
        },
        headers=api.auth(admin),
    )
    assert bad.status_code == 422
    assert error_of(bad)["details"]["fields"][0]["field"] == "body.unit_amount"


async def test_orders_are_placed_idempotently_and_seen_only_by_their_people(api: Api) -> None:
    clinic, admin, product = await shop_with_product(api)
    owner = await api.user()
    await fill_cart(api, owner, clinic, product)
    body = order_body(clinic)
    headers = {**api.auth(owner), "Idempotency-Key": f"order-{uuid.uuid4().hex}"}

    first = await api.client.post(url("/orders"), json=body, headers=headers)
    assert first.status_code == 201, first.text
    order = first.json()
    assert order["status"] == "pending_payment"
    assert order["total_amount"] == 2500
    assert len(order["items"]) == 1

    replay = await api.client.post(url("/orders"), json=body, headers=headers)
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == order

    other_body = {**body, "pet_id": str(uuid.uuid4())}
    reused = await api.client.post(url("/orders"), json=other_body, headers=headers)
    assert reused.status_code == 422
    assert error_of(reused)["code"] == "IDEMPOTENCY_KEY_REUSED"

    mine = await api.client.get(url("/orders"), headers=api.auth(owner))
    assert [o["id"] for o in mine.json()] == [order["id"]]
    seen = await api.client.get(url(f"/orders/{order['id']}"), headers=api.auth(owner))
    assert seen.status_code == 200
    staff_view = await api.client.get(url(f"/orders/{order['id']}"), headers=api.auth(admin))
    assert staff_view.status_code == 200

    stranger = await api.user()
    hidden = await api.client.get(url(f"/orders/{order['id']}"), headers=api.auth(stranger))
    assert hidden.status_code == 404
    assert error_of(hidden)["code"] == "ORDER_NOT_FOUND"
    not_theirs = await api.client.post(
        url(f"/orders/{order['id']}/cancel"), headers=api.auth(stranger)
    )
    assert not_theirs.status_code == 404
    assert (await api.client.get(url("/orders"))).status_code == 401

    invalid = await api.client.post(
        url("/orders"), json={**body, "items": []}, headers=api.auth(owner)
    )
    assert invalid.status_code == 422  # the lines come from the cart, never from the body
    assert error_of(invalid)["details"]["fields"][0]["field"] == "body.items"

    cancelled = await api.client.post(url(f"/orders/{order['id']}/cancel"), headers=api.auth(owner))
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"


async def test_pay_an_order_the_webhook_marks_it_paid_once_then_refund_and_invoice(
    api: Api, localstripe_url: str
) -> None:
    clinic, admin, product = await shop_with_product(api)
    owner = await api.user()
    await fill_cart(api, owner, clinic, product)
    placed = await api.client.post(url("/orders"), json=order_body(clinic), headers=api.auth(owner))
    assert placed.status_code == 201, placed.text
    order = placed.json()

    stranger = await api.user()
    hidden = await api.client.post(url(f"/orders/{order['id']}/pay"), headers=api.auth(stranger))
    assert hidden.status_code == 404

    key = {"Idempotency-Key": f"pay-{uuid.uuid4().hex}"}
    paying = await api.client.post(
        url(f"/orders/{order['id']}/pay"), headers={**api.auth(owner), **key}
    )
    assert paying.status_code == 201, paying.text
    started = paying.json()
    assert started["client_secret"]
    assert started["payment"]["amount"] == 2500
    assert started["payment"]["status"] in ("pending", "requires_action")
    again = await api.client.post(
        url(f"/orders/{order['id']}/pay"), headers={**api.auth(owner), **key}
    )
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == started

    # The browser confirms with a card (Stripe.js does this), then Stripe sends the event.
    client = stripe.StripeClient(STRIPE_KEY, base_addresses={"api": localstripe_url})
    method = await client.v1.payment_methods.create_async(
        {
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    payment_id = started["payment"]["id"]
    intent_id = await _intent_id(api, payment_id)
    await client.v1.payment_intents.update_async(intent_id, {"payment_method": method.id})
    intent = await client.v1.payment_intents.confirm_async(
        intent_id, None, {"idempotency_key": f"confirm-{intent_id}"}
    )
    body = event_body("payment_intent.succeeded", intent.to_dict())

    forged = await api.client.post(
        url("/webhooks/stripe"),
        content=body,
        headers={"Stripe-Signature": sign(body, "whsec_wrong"), "Content-Type": "application/json"},
    )
    assert forged.status_code == 401
    assert error_of(forged)["code"] == "WEBHOOK_SIGNATURE_INVALID"
    unsigned = await api.client.post(url("/webhooks/stripe"), content=body)
    assert unsigned.status_code == 401

    signed = {"Stripe-Signature": sign(body), "Content-Type": "application/json"}
    delivered = await api.client.post(url("/webhooks/stripe"), content=body, headers=signed)
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["outcome"] == "applied"
    paid = (await api.client.get(url(f"/orders/{order['id']}"), headers=api.auth(owner))).json()
    assert paid["status"] == "paid"

    replayed = await api.client.post(url("/webhooks/stripe"), content=body, headers=signed)
    assert replayed.status_code == 200
    assert replayed.json()["outcome"] == "duplicate"
    after = (await api.client.get(url(f"/orders/{order['id']}"), headers=api.auth(owner))).json()
    assert after == paid

    # Invoice (JSON, issued once) and its printable page.
    invoiced = await api.client.post(url(f"/orders/{order['id']}/invoice"), headers=api.auth(owner))
    assert invoiced.status_code == 201, invoiced.text
    invoice = invoiced.json()
    assert invoice["status"] == "paid"
    assert invoice["amount_paid"] == 2500
    twice = await api.client.post(url(f"/orders/{order['id']}/invoice"), headers=api.auth(owner))
    assert twice.json()["id"] == invoice["id"]
    read = await api.client.get(url(f"/invoices/{invoice['id']}"), headers=api.auth(owner))
    assert read.status_code == 200
    assert read.json() == invoice
    page = await api.client.get(url(f"/invoices/{invoice['id']}/html"), headers=api.auth(owner))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert invoice["number"] in page.text
    for path in (f"/invoices/{invoice['id']}", f"/invoices/{invoice['id']}/html"):
        nosy = await api.client.get(url(path), headers=api.auth(stranger))
        assert nosy.status_code == 404
        assert error_of(nosy)["code"] == "INVOICE_NOT_FOUND"

    # The payment is listed for its payer and for the clinic's admin, not for others.
    mine = await api.client.get(url("/payments"), headers=api.auth(owner))
    assert mine.status_code == 200
    assert [p["id"] for p in mine.json()["items"]] == [payment_id]
    assert mine.json()["items"][0]["status"] == "succeeded"
    clinic_view = await api.client.get(
        url("/payments"), params={"clinic_id": str(clinic.id)}, headers=api.auth(admin)
    )
    assert [p["id"] for p in clinic_view.json()["items"]] == [payment_id]
    assert (await api.client.get(url("/payments"), headers=api.auth(stranger))).json()[
        "items"
    ] == []

    # Refunds: clinic admins only; the same Idempotency-Key refunds once.
    refund_key = {"Idempotency-Key": f"refund-{uuid.uuid4().hex}"}
    by_owner = await api.client.post(
        url(f"/payments/{payment_id}/refunds"),
        json={"amount": 500},
        headers={**api.auth(owner), **refund_key},
    )
    assert by_owner.status_code == 403
    no_key = await api.client.post(
        url(f"/payments/{payment_id}/refunds"), json={"amount": 500}, headers=api.auth(admin)
    )
    assert no_key.status_code == 422
    assert error_of(no_key)["details"]["fields"][0]["field"] == "header.Idempotency-Key"
    too_much = await api.client.post(
        url(f"/payments/{payment_id}/refunds"),
        json={"amount": 999_999},
        headers={**api.auth(admin), "Idempotency-Key": f"refund-{uuid.uuid4().hex}"},
    )
    assert too_much.status_code == 422
    assert error_of(too_much)["code"] == "REFUND_EXCEEDS_PAYMENT"

    refunded = await api.client.post(
        url(f"/payments/{payment_id}/refunds"),
        json={"amount": 500, "reason": "damaged bag"},
        headers={**api.auth(admin), **refund_key},
    )
    assert refunded.status_code == 201, refunded.text
    assert refunded.json()["amount"] == 500
    same = await api.client.post(
        url(f"/payments/{payment_id}/refunds"),
        json={"amount": 500, "reason": "damaged bag"},
        headers={**api.auth(admin), **refund_key},
    )
    assert same.status_code == 201
    assert same.json()["id"] == refunded.json()["id"]
    unknown = await api.client.post(
        url(f"/payments/{uuid.uuid4()}/refunds"),
        json={"amount": 1},
        headers={**api.auth(admin), **refund_key},
    )
    assert unknown.status_code == 404


async def _intent_id(api: Api, payment_id: str) -> str:
    from vet_core.models.commerce import Payment

    payment = await api.session.get(Payment, uuid.UUID(payment_id))
    assert payment is not None
    assert payment.stripe_payment_intent_id
    return payment.stripe_payment_intent_id


async def test_appointment_deposit_is_idempotent_and_only_for_its_people(api: Api) -> None:
    clinic = await api.clinic()
    _, vet = await api.veterinarian(clinic)
    owner = await api.user()
    pet = await api.pet(owner)
    appointment = await api.appointment(pet, vet, clinic, owner)
    path = url(f"/appointments/{appointment.id}/deposit")
    headers = {**api.auth(owner), "Idempotency-Key": f"dep-{uuid.uuid4().hex}"}

    first = await api.client.post(path, json={"amount": 2000, "currency": "USD"}, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["payment"]["appointment_id"] == str(appointment.id)
    replay = await api.client.post(path, json={"amount": 2000, "currency": "USD"}, headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true"
    changed = await api.client.post(path, json={"amount": 10, "currency": "USD"}, headers=headers)
    assert changed.status_code == 422

    stranger = await api.user()
    hidden = await api.client.post(
        path, json={"amount": 2000, "currency": "USD"}, headers=api.auth(stranger)
    )
    assert hidden.status_code == 404
    payment_id = first.json()["payment"]["id"]
    unpaid = await api.client.post(url(f"/payments/{payment_id}/receipt"), headers=api.auth(owner))
    assert unpaid.status_code == 422  # only a paid deposit gets a receipt
    nosy = await api.client.post(url(f"/payments/{payment_id}/receipt"), headers=api.auth(stranger))
    assert nosy.status_code == 404
    invalid = await api.client.post(
        path, json={"amount": 0, "currency": "USD"}, headers=api.auth(owner)
    )
    assert invalid.status_code == 422
    assert error_of(invalid)["details"]["fields"][0]["field"] == "body.amount"


async def test_reviews_of_completed_appointments(api: Api) -> None:
    clinic = await api.clinic()
    _, vet = await api.veterinarian(clinic)
    owner = await api.user()
    pet = await api.pet(owner)
    starts = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    done = await api.appointment(
        pet,
        vet,
        clinic,
        owner,
        status=AppointmentStatus.COMPLETED,
        starts_at=starts,
        started_at=starts,
        completed_at=starts + timedelta(minutes=30),
    )
    upcoming = await api.appointment(pet, vet, clinic, owner)

    created = await api.client.post(
        url("/reviews/clinic"),
        json={"appointment_id": str(done.id), "rating": 5, "title": "Kind staff"},
        headers=api.auth(owner),
    )
    assert created.status_code == 201, created.text
    review = created.json()
    of_vet = await api.client.post(
        url("/reviews/veterinarian"),
        json={"appointment_id": str(done.id), "rating": 4},
        headers=api.auth(owner),
    )
    assert of_vet.status_code == 201, of_vet.text
    duplicate = await api.client.post(
        url("/reviews/clinic"),
        json={"appointment_id": str(done.id), "rating": 3},
        headers=api.auth(owner),
    )
    assert duplicate.status_code == 409

    too_early = await api.client.post(
        url("/reviews/clinic"),
        json={"appointment_id": str(upcoming.id), "rating": 5},
        headers=api.auth(owner),
    )
    assert too_early.status_code == 422
    assert error_of(too_early)["code"] == "REVIEW_NOT_ALLOWED"
    bad = await api.client.post(
        url("/reviews/clinic"),
        json={"appointment_id": str(done.id), "rating": 9},
        headers=api.auth(owner),
    )
    assert bad.status_code == 422
    assert error_of(bad)["details"]["fields"][0]["field"] == "body.rating"
    stranger = await api.user()
    not_theirs = await api.client.post(
        url("/reviews/clinic"),
        json={"appointment_id": str(done.id), "rating": 1},
        headers=api.auth(stranger),
    )
    assert not_theirs.status_code == 404
    anonymous = await api.client.post(url("/reviews/clinic"), json={})
    assert anonymous.status_code == 401

    listed = await api.client.get(url(f"/clinics/{clinic.id}/reviews"))
    assert [r["id"] for r in listed.json()] == [review["id"]]
    vet_listed = await api.client.get(url(f"/veterinarians/{vet.id}/reviews"))
    assert [r["rating"] for r in vet_listed.json()] == [4]

    edited = await api.client.patch(
        url(f"/reviews/clinic/{review['id']}"), json={"rating": 4}, headers=api.auth(owner)
    )
    assert edited.status_code == 200
    assert edited.json()["rating"] == 4
    foreign_edit = await api.client.patch(
        url(f"/reviews/clinic/{review['id']}"), json={"rating": 1}, headers=api.auth(stranger)
    )
    assert foreign_edit.status_code in (403, 404)
    removed = await api.client.delete(
        url(f"/reviews/clinic/{review['id']}"), headers=api.auth(owner)
    )
    assert removed.status_code == 204
    assert (await api.client.get(url(f"/clinics/{clinic.id}/reviews"))).json() == []


_OUR_PATHS = (
    "/products",
    "/cart",
    "/orders",
    "/payments",
    "/invoices",
    "/reviews",
    "/webhooks/stripe",
)


def _ours(path: str) -> bool:
    tail = path.removeprefix(API_PREFIX)
    return tail.startswith(_OUR_PATHS) or tail.endswith(("/reviews", "/deposit"))


def test_fuzz_these_routes_against_their_openapi(database_url, redis_url, localstripe_url) -> None:
    """schemathesis on these routers (as ``test_openapi_fuzz`` does for the mounted ones)."""
    import schemathesis
    from hypothesis import given
    from schemathesis.specs.openapi.checks import positive_data_acceptance
    from test_openapi_fuzz import FUZZ_SETTINGS, served_api

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STRIPE_API_KEY", STRIPE_KEY)
        patch.setenv("STRIPE_API_BASE", localstripe_url)
        patch.setenv("STRIPE_WEBHOOK_SECRET", STRIPE_SECRET)
        patch.setenv("STRIPE_MAX_NETWORK_RETRIES", "0")
        original = served_api.__wrapped__  # type: ignore[attr-defined]
        import test_openapi_fuzz

        real_create_app = test_openapi_fuzz.create_app

        def create_app_with_ours(*args: Any, **kwargs: Any) -> Any:
            app = real_create_app(*args, **kwargs)
            for module in (shop, cart, payments, reviews, stripe_webhook):
                app.include_router(module.router, prefix=API_PREFIX)
            return app

        patch.setattr(test_openapi_fuzz, "create_app", create_app_with_ours)
        served = original(database_url, redis_url)
        base_url, token = next(served)
        try:
            schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
            operations = [
                op
                for op in (result.ok() for result in schema.get_all_operations())
                if _ours(op.path)
            ]
            assert len(operations) >= 15
            failures: dict[str, str] = {}
            for operation in operations:

                @FUZZ_SETTINGS
                @given(case=operation.as_strategy())
                def exercise(case: Any) -> None:
                    case.call_and_validate(
                        headers={"Authorization": f"Bearer {token}"},
                        excluded_checks=[positive_data_acceptance],
                    )

                try:
                    exercise()
                except (Exception, BaseExceptionGroup) as exc:
                    failures[operation.label] = f"{type(exc).__name__}: {exc}"[:2000]
            assert failures == {}, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
        finally:
            next(served, None)
