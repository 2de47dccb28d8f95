"""``/cart``: the caller's cart at one clinic, kept on the server (thin: one service call each).

A person has one cart per clinic (``clinic_id`` names it on every route). Lines are priced from
the catalogue whenever the cart is read; ``POST /orders`` places the cart as an order and
empties it in the same transaction. API keys have no cart (403).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from vet_clinic_api.deps import ActorDep, SessionDep
from vet_clinic_api.errors import responses
from vet_core.schemas.commerce import CartItemQuantity, CartItemResponse, CartResponse
from vet_services.commerce import cart

router = APIRouter(prefix="/cart", tags=["shop"])

ClinicId = Annotated[uuid.UUID, Query(description="the clinic whose shop the cart is for")]


def _shaped(view: cart.CartView) -> CartResponse:
    return CartResponse(
        clinic_id=view.clinic_id,
        user_id=view.user_id,
        currency=view.currency,
        items=[CartItemResponse.model_validate(line) for line in view.items],
        item_count=view.item_count,
        subtotal_amount=view.subtotal_amount,
        updated_at=view.updated_at,
    )


@router.get("", response_model=CartResponse, responses=responses())
async def get_cart(clinic_id: ClinicId, actor: ActorDep, session: SessionDep) -> CartResponse:
    """The caller's cart at the clinic, priced from today's catalogue (empty if never filled)."""
    return _shaped(await cart.get_cart(session, actor, clinic_id))


@router.put("/items/{product_id}", response_model=CartResponse, responses=responses(409))
async def set_cart_item(
    product_id: uuid.UUID,
    body: CartItemQuantity,
    clinic_id: ClinicId,
    actor: ActorDep,
    session: SessionDep,
) -> CartResponse:
    """Hold ``quantity`` of the product in the cart (``0`` takes it out). A product not on sale
    at the clinic is 404; more than is in stock 409 ``OUT_OF_STOCK``; another currency than the
    cart's 422 ``CURRENCY_MISMATCH``."""
    return _shaped(await cart.set_item(session, actor, clinic_id, product_id, body.quantity))


@router.delete("/items/{product_id}", response_model=CartResponse, responses=responses())
async def remove_cart_item(
    product_id: uuid.UUID, clinic_id: ClinicId, actor: ActorDep, session: SessionDep
) -> CartResponse:
    """Take the product out of the cart (404 ``CART_ITEM_NOT_FOUND`` when it is not in it)."""
    return _shaped(await cart.remove_item(session, actor, clinic_id, product_id))


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, responses=responses())
async def clear_cart(clinic_id: ClinicId, actor: ActorDep, session: SessionDep) -> Response:
    """Empty the cart."""
    await cart.clear_cart(session, actor, clinic_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


__all__ = ["router"]
