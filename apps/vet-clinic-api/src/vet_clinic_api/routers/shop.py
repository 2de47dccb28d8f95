"""The shop: the catalogue and orders (thin: parse, call one service, shape the response).

The cart lives on the server (:mod:`vet_clinic_api.routers.cart`); ``POST /orders`` places the
caller's cart at a clinic as an order (prices are snapshotted and stock reserved then) and
empties it. An order held for a veterinarian's approval (prescription-only items) is released
with ``/orders/{id}/approve``, and an unpaid order is dropped with ``/orders/{id}/cancel``.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse

from vet_clinic_api.deps import ActorDep, CallerDep, SessionDep
from vet_clinic_api.errors import responses
from vet_clinic_api.idempotency import IdempotencyKey, idempotent
from vet_core.models.enums import ProductType
from vet_core.schemas.base import CreateSchema
from vet_core.schemas.commerce import (
    CartCheckout,
    OrderResponse,
    ProductCreate,
    ProductResponse,
    ProductUpdate,
)
from vet_services.commerce import cart, catalog, orders

router = APIRouter(tags=["shop"])

Limit = Annotated[int, Query(ge=1, le=200, description="items per page")]
Offset = Annotated[int, Query(ge=0, le=100_000, description="items to skip")]


class OrderApproval(CreateSchema):
    """The pet the held (prescription-only) order is approved for."""

    pet_id: uuid.UUID


@router.get("/products", response_model=list[ProductResponse], responses=responses(public=True))
async def list_products(
    session: SessionDep,
    clinic_id: uuid.UUID | None = None,
    product_type: ProductType | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[ProductResponse]:
    """Products on sale (a clinic's own and the platform-wide ones), by name; public."""
    found = await catalog.list_products(
        session, clinic_id=clinic_id, product_type=product_type, limit=limit, offset=offset
    )
    return [ProductResponse.model_validate(p) for p in found]


@router.get(
    "/products/{product_id}", response_model=ProductResponse, responses=responses(public=True)
)
async def get_product(product_id: uuid.UUID, session: SessionDep) -> ProductResponse:
    """One product; public."""
    return ProductResponse.model_validate(await catalog.get_product(session, product_id))


@router.post(
    "/products",
    response_model=ProductResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def create_product(
    data: ProductCreate, actor: ActorDep, session: SessionDep
) -> ProductResponse:
    """Clinic admins add a product to their clinic (platform admins: platform-wide)."""
    return ProductResponse.model_validate(await catalog.create_product(session, actor, data))


@router.patch("/products/{product_id}", response_model=ProductResponse, responses=responses(409))
async def update_product(
    product_id: uuid.UUID, data: ProductUpdate, actor: ActorDep, session: SessionDep
) -> ProductResponse:
    """Change a product; orders already placed keep their price snapshots."""
    product = await catalog.update_product(session, actor, product_id, data)
    return ProductResponse.model_validate(product)


@router.get("/orders", response_model=list[OrderResponse], responses=responses())
async def my_orders(
    actor: ActorDep, session: SessionDep, limit: Limit = 50, offset: Offset = 0
) -> list[OrderResponse]:
    """The caller's orders, newest first."""
    found = await orders.list_my_orders(session, actor, limit=limit, offset=offset)
    return [OrderResponse.model_validate(o) for o in found]


@router.post(
    "/orders",
    response_model=OrderResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def place_order(
    data: CartCheckout,
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Place the caller's cart at ``clinic_id`` as an order; the cart is emptied with it.

    An empty cart is 422 ``CART_EMPTY``; a product withdrawn or sold out since it went into the
    cart is 404 ``PRODUCT_NOT_FOUND`` or 409 ``OUT_OF_STOCK`` (the cart is left as it was).
    ``Idempotency-Key`` (or ``idempotency_key``): a retry returns the first order.
    """
    if data.idempotency_key is None and idempotency_key is not None:
        data = data.model_copy(update={"idempotency_key": idempotency_key})

    async def run() -> tuple[int, object]:
        order = await cart.checkout(session, caller.actor, data)
        return 201, OrderResponse.model_validate(order).model_dump(mode="json")

    return await idempotent(request, caller, data.idempotency_key, data, run)


@router.get("/orders/{order_id}", response_model=OrderResponse, responses=responses())
async def get_order(order_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> OrderResponse:
    """An order with its items, for its customer and the clinic's staff."""
    return OrderResponse.model_validate(await orders.get_order(session, actor, order_id))


@router.post("/orders/{order_id}/approve", response_model=OrderResponse, responses=responses(409))
async def approve_order(
    order_id: uuid.UUID, data: OrderApproval, actor: ActorDep, session: SessionDep
) -> OrderResponse:
    """A veterinarian of the clinic releases a held (prescription-only) order for payment."""
    order = await orders.approve_order(session, actor, order_id, pet_id=data.pet_id)
    return OrderResponse.model_validate(order)


@router.post("/orders/{order_id}/cancel", response_model=OrderResponse, responses=responses(409))
async def cancel_order(order_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> OrderResponse:
    """Cancel an order that is not paid yet; its stock is released."""
    return OrderResponse.model_validate(await orders.cancel_order(session, actor, order_id))


@router.post("/orders/{order_id}/fulfil", response_model=OrderResponse, responses=responses(409))
async def fulfil_order(order_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> OrderResponse:
    """Clinic staff hand over a paid order."""
    return OrderResponse.model_validate(await orders.fulfil_order(session, actor, order_id))


__all__ = ["router"]
