"""The server-side cart over HTTP: one per person and clinic, checked out by ``POST /orders``."""

from __future__ import annotations

import uuid
from typing import Any

from vet_core.models.clinics import Clinic
from vet_core.models.commerce import Product
from vet_core.models.enums import ProductType
from vet_core.models.identity import User

from conftest import Api, error_of

CART = "/api/v1/cart"


async def product(
    api: Api,
    clinic: Clinic | None,
    *,
    name: str = "Kibble 2kg",
    unit_amount: int = 1250,
    stock: int | None = 10,
    currency: str = "USD",
) -> Product:
    row = Product(
        clinic_id=clinic.id if clinic is not None else None,
        sku=f"SKU-{uuid.uuid4().hex[:10]}",
        name=name,
        product_type=ProductType.FOOD,
        unit_amount=unit_amount,
        currency=currency,
        stock_quantity=stock,
    )
    api.session.add(row)
    await api.session.flush()
    return row


async def put(api: Api, user: User, clinic: Clinic, item: Product, quantity: Any) -> Any:
    return await api.client.put(
        f"{CART}/items/{item.id}",
        params={"clinic_id": str(clinic.id)},
        json={"quantity": quantity},
        headers=api.auth(user),
    )


async def test_fill_change_and_empty_a_cart(api: Api) -> None:
    clinic = await api.clinic()
    owner = await api.user()
    kibble = await product(api, clinic)
    shampoo = await product(api, None, name="Oat shampoo", unit_amount=899, stock=None)
    params = {"clinic_id": str(clinic.id)}

    empty = await api.client.get(CART, params=params, headers=api.auth(owner))
    assert empty.status_code == 200, empty.text
    assert empty.json()["items"] == []
    assert empty.json()["currency"] is None
    assert empty.json()["updated_at"] is None

    assert (await put(api, owner, clinic, kibble, 2)).status_code == 200
    added = await put(api, owner, clinic, shampoo, 1)  # platform-wide: on sale everywhere
    assert added.status_code == 200, added.text
    cart = added.json()
    assert cart["clinic_id"] == str(clinic.id)
    assert cart["user_id"] == str(owner.id)
    assert cart["currency"] == "USD"
    assert [(i["name"], i["quantity"], i["total_amount"]) for i in cart["items"]] == [
        ("Kibble 2kg", 2, 2500),
        ("Oat shampoo", 1, 899),
    ]
    assert cart["item_count"] == 3
    assert cart["subtotal_amount"] == 3399
    assert all(i["available"] for i in cart["items"])

    changed = await put(api, owner, clinic, kibble, 5)
    assert [i["quantity"] for i in changed.json()["items"]] == [5, 1]
    kibble.unit_amount = 1000  # read from today's catalogue until it is ordered
    await api.session.flush()
    repriced = await api.client.get(CART, params=params, headers=api.auth(owner))
    assert repriced.json()["subtotal_amount"] == 5 * 1000 + 899

    removed = await put(api, owner, clinic, shampoo, 0)
    assert [i["name"] for i in removed.json()["items"]] == ["Kibble 2kg"]
    deleted = await api.client.delete(
        f"{CART}/items/{kibble.id}", params=params, headers=api.auth(owner)
    )
    assert deleted.status_code == 200
    assert deleted.json()["items"] == []
    gone = await api.client.delete(
        f"{CART}/items/{kibble.id}", params=params, headers=api.auth(owner)
    )
    assert gone.status_code == 404
    assert error_of(gone)["code"] == "CART_ITEM_NOT_FOUND"

    await put(api, owner, clinic, kibble, 1)
    cleared = await api.client.delete(CART, params=params, headers=api.auth(owner))
    assert cleared.status_code == 204
    after = await api.client.get(CART, params=params, headers=api.auth(owner))
    assert after.json()["items"] == []


async def test_carts_are_per_person_and_per_clinic(api: Api) -> None:
    clinic, other_clinic = await api.clinic(), await api.clinic()
    owner, neighbour = await api.user(), await api.user()
    kibble = await product(api, clinic)
    shampoo = await product(api, None, name="Oat shampoo", stock=None)
    await put(api, owner, clinic, kibble, 2)
    await put(api, owner, other_clinic, shampoo, 1)

    theirs = await api.client.get(
        CART, params={"clinic_id": str(clinic.id)}, headers=api.auth(neighbour)
    )
    assert theirs.json()["items"] == []
    there = await api.client.get(
        CART, params={"clinic_id": str(other_clinic.id)}, headers=api.auth(owner)
    )
    assert [i["product_id"] for i in there.json()["items"]] == [str(shampoo.id)]
    # Taking a line out of someone else's cart is not possible: theirs is not addressable.
    not_mine = await api.client.delete(
        f"{CART}/items/{kibble.id}",
        params={"clinic_id": str(clinic.id)},
        headers=api.auth(neighbour),
    )
    assert not_mine.status_code == 404


async def test_what_a_cart_refuses(api: Api) -> None:
    clinic, other_clinic = await api.clinic(), await api.clinic()
    owner = await api.user()
    kibble = await product(api, clinic, stock=3)
    elsewhere = await product(api, other_clinic, name="Elsewhere")
    euros = await product(api, clinic, name="Euro treats", currency="EUR")

    too_many = await put(api, owner, clinic, kibble, 4)
    assert too_many.status_code == 409
    assert error_of(too_many)["code"] == "OUT_OF_STOCK"
    assert error_of(too_many)["details"]["available"] == 3
    not_here = await put(api, owner, clinic, elsewhere, 1)
    assert not_here.status_code == 404
    assert error_of(not_here)["code"] == "PRODUCT_NOT_FOUND"
    await put(api, owner, clinic, kibble, 1)
    mixed = await put(api, owner, clinic, euros, 1)
    assert mixed.status_code == 422
    assert error_of(mixed)["code"] == "CURRENCY_MISMATCH"

    for bad in (-1, 10_001, "two", 1.5):
        invalid = await put(api, owner, clinic, kibble, bad)
        assert invalid.status_code == 422
        assert error_of(invalid)["details"]["fields"][0]["field"] == "body.quantity"
    no_clinic = await api.client.get(CART, headers=api.auth(owner))
    assert no_clinic.status_code == 422
    assert error_of(no_clinic)["details"]["fields"][0]["field"] == "query.clinic_id"
    unknown = await api.client.get(
        CART, params={"clinic_id": str(uuid.uuid4())}, headers=api.auth(owner)
    )
    assert unknown.status_code == 404
    assert error_of(unknown)["code"] == "CLINIC_NOT_FOUND"
    anonymous = await api.client.get(CART, params={"clinic_id": str(clinic.id)})
    assert anonymous.status_code == 401


async def test_checkout_places_the_cart_and_empties_it_once(api: Api) -> None:
    clinic = await api.clinic()
    owner = await api.user()
    kibble = await product(api, clinic, stock=5)
    params = {"clinic_id": str(clinic.id)}
    await put(api, owner, clinic, kibble, 2)

    empty_elsewhere = await api.client.post(
        "/api/v1/orders", json={"clinic_id": str((await api.clinic()).id)}, headers=api.auth(owner)
    )
    assert empty_elsewhere.status_code == 422
    assert error_of(empty_elsewhere)["code"] == "CART_EMPTY"

    headers = {**api.auth(owner), "Idempotency-Key": f"checkout-{uuid.uuid4().hex}"}
    placed = await api.client.post(
        "/api/v1/orders", json={"clinic_id": str(clinic.id)}, headers=headers
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["status"] == "pending_payment"
    assert [(i["product_id"], i["quantity"]) for i in order["items"]] == [(str(kibble.id), 2)]
    assert order["total_amount"] == 2500
    await api.session.refresh(kibble)
    assert kibble.stock_quantity == 3
    cart = await api.client.get(CART, params=params, headers=api.auth(owner))
    assert cart.json()["items"] == []

    replay = await api.client.post(
        "/api/v1/orders", json={"clinic_id": str(clinic.id)}, headers=headers
    )
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == order
    again = await api.client.post(
        "/api/v1/orders", json={"clinic_id": str(clinic.id)}, headers=api.auth(owner)
    )
    assert again.status_code == 422
    assert error_of(again)["code"] == "CART_EMPTY"


async def test_a_failed_checkout_leaves_the_cart_as_it_was(api: Api) -> None:
    clinic = await api.clinic()
    owner = await api.user()
    kibble = await product(api, clinic, stock=5)
    await put(api, owner, clinic, kibble, 4)
    kibble.stock_quantity = 1  # sold in the shop meanwhile
    await api.session.flush()

    refused = await api.client.post(
        "/api/v1/orders", json={"clinic_id": str(clinic.id)}, headers=api.auth(owner)
    )
    assert refused.status_code == 409
    assert error_of(refused)["code"] == "OUT_OF_STOCK"
    cart = await api.client.get(CART, params={"clinic_id": str(clinic.id)}, headers=api.auth(owner))
    assert [(i["quantity"], i["available"]) for i in cart.json()["items"]] == [(4, False)]
    invalid = await api.client.post(
        "/api/v1/orders",
        json={"clinic_id": str(clinic.id), "currency": "USD"},
        headers=api.auth(owner),
    )
    assert invalid.status_code == 422
    assert error_of(invalid)["details"]["fields"][0]["field"] == "body.currency"
