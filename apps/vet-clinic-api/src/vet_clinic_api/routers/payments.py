"""Payments (Stripe PaymentIntents), refunds and invoices (thin: one service call per route).

Reading: ``GET /payments`` (the caller's, or with ``clinic_id`` a clinic's for those whose role
may read them), ``GET /payments/{id}``, ``GET /invoices/{id}`` (JSON) and
``GET /invoices/{id}/html`` (the printable page). Another person's payment or invoice is a 404.

The Stripe gateway holds an HTTP connection pool, so it is built once per process, lazily on
first use, from ``STRIPE_*`` (:class:`vet_services.payments.settings.StripeSettings`), and kept
on ``app.state``; nothing is created at import time.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ValidationError

from vet_clinic_api.deps import ActorDep, CallerDep, SessionDep
from vet_clinic_api.errors import responses
from vet_clinic_api.idempotency import IdempotencyKey, idempotent
from vet_clinic_api.pagination import PageDep, PageResponse
from vet_core.exceptions import ConfigurationException
from vet_core.models.enums import PaymentStatus
from vet_core.schemas.base import CreateSchema, CurrencyCode, LongText
from vet_core.schemas.commerce import (
    InvoiceResponse,
    PaymentResponse,
    PositiveMinorUnits,
    RefundResponse,
)
from vet_services.pagination import PageRequest
from vet_services.payments import invoices, queries, service
from vet_services.payments.gateway import StripeGateway
from vet_services.payments.settings import StripeSettings

router = APIRouter(tags=["payments"])


def stripe_settings(request: Request) -> StripeSettings:
    """The process's Stripe settings, read from the environment on first use."""
    found: StripeSettings | None = getattr(request.app.state, "stripe_settings", None)
    if found is None:
        try:
            found = StripeSettings()  # read from STRIPE_* env
        except ValidationError as error:
            raise ConfigurationException(
                "Stripe is not configured (STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET)"
            ) from error
        request.app.state.stripe_settings = found
    return found


def stripe_gateway(
    request: Request, settings: Annotated[StripeSettings, Depends(stripe_settings)]
) -> StripeGateway:
    """The process's Stripe gateway (one connection pool), built on first use."""
    found: StripeGateway | None = getattr(request.app.state, "stripe_gateway", None)
    if found is None:
        found = StripeGateway(settings)
        request.app.state.stripe_gateway = found
    return found


GatewayDep = Annotated[StripeGateway, Depends(stripe_gateway)]

RefundKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="required: a retry with the same key returns the first refund",
    ),
]


class PaymentIntentResponse(BaseModel):
    """The payment and the client secret Stripe.js needs to confirm it in the browser."""

    payment: PaymentResponse
    client_secret: str | None


class OrderPaymentRequest(BaseModel):
    """What an order payment request is (the fingerprint of ``Idempotency-Key``)."""

    order_id: uuid.UUID


class DepositCreate(CreateSchema):
    """An appointment deposit, in minor units of ``currency``."""

    amount: PositiveMinorUnits
    currency: CurrencyCode


class DepositRequest(DepositCreate):
    appointment_id: uuid.UUID


class RefundRequest(CreateSchema):
    """Refund ``amount`` minor units (omitted: all that is left of the payment)."""

    amount: PositiveMinorUnits | None = None
    reason: LongText | None = None


def _started(start: service.PaymentStart) -> dict[str, Any]:
    return PaymentIntentResponse(
        payment=PaymentResponse.model_validate(start.payment), client_secret=start.client_secret
    ).model_dump(mode="json")


@router.get("/payments", response_model=PageResponse[PaymentResponse], responses=responses())
async def list_payments(
    actor: ActorDep,
    session: SessionDep,
    page: PageDep,
    clinic_id: Annotated[
        uuid.UUID | None,
        Query(description="a clinic's payments instead of one's own (its admins)"),
    ] = None,
    statuses: Annotated[
        list[PaymentStatus] | None,
        Query(alias="status", max_length=len(PaymentStatus), description="any of these"),
    ] = None,
) -> PageResponse[PaymentResponse]:
    """The caller's payments, newest first; with ``clinic_id``, that clinic's payments for
    staff whose role may read them (403 for anyone else)."""
    found = await queries.list_payments(
        session,
        actor,
        PageRequest(limit=page.limit, cursor=page.cursor),
        clinic_id=clinic_id,
        statuses=statuses or (),
    )
    return PageResponse[PaymentResponse].of(found, PaymentResponse.model_validate)


@router.get("/payments/{payment_id}", response_model=PaymentResponse, responses=responses())
async def get_payment(
    payment_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> PaymentResponse:
    """One payment: the payer's, or their clinic's admins'."""
    return PaymentResponse.model_validate(await queries.get_payment(session, actor, payment_id))


@router.post(
    "/orders/{order_id}/pay",
    response_model=PaymentIntentResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409, 503),
)
async def pay_order(
    order_id: uuid.UUID,
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    gateway: GatewayDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Start (or resume) paying an order awaiting payment; asking twice gives the same intent."""

    async def run() -> tuple[int, object]:
        start = await service.create_order_payment(session, caller.actor, gateway, order_id)
        return 201, _started(start)

    return await idempotent(
        request, caller, idempotency_key, OrderPaymentRequest(order_id=order_id), run
    )


@router.post(
    "/appointments/{appointment_id}/deposit",
    response_model=PaymentIntentResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409, 503),
)
async def pay_deposit(
    appointment_id: uuid.UUID,
    data: DepositCreate,
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    gateway: GatewayDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Start (or resume) paying an appointment's deposit (its booker or the pet's owner)."""

    async def run() -> tuple[int, object]:
        start = await service.create_deposit_payment(
            session,
            caller.actor,
            gateway,
            appointment_id,
            amount=data.amount,
            currency=data.currency,
        )
        return 201, _started(start)

    fingerprint = DepositRequest(appointment_id=appointment_id, **data.model_dump())
    return await idempotent(request, caller, idempotency_key, fingerprint, run)


@router.post(
    "/payments/{payment_id}/refunds",
    response_model=RefundResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409, 503),
)
async def refund_payment(
    payment_id: uuid.UUID,
    data: RefundRequest,
    idempotency_key: RefundKey,
    actor: ActorDep,
    session: SessionDep,
    gateway: GatewayDep,
) -> RefundResponse:
    """Clinic admins refund part or all of a payment; the same ``Idempotency-Key`` refunds once."""
    refund = await service.refund_payment(
        session,
        actor,
        gateway,
        payment_id,
        idempotency_key=idempotency_key,
        amount=data.amount,
        reason=data.reason,
    )
    return RefundResponse.model_validate(refund)


@router.post(
    "/orders/{order_id}/invoice",
    response_model=InvoiceResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def invoice_order(
    order_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> InvoiceResponse:
    """The invoice of a placed order (issued once; asking again returns the same one)."""
    return InvoiceResponse.model_validate(
        await invoices.issue_order_invoice(session, actor, order_id)
    )


@router.post(
    "/payments/{payment_id}/receipt",
    response_model=InvoiceResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def deposit_receipt(
    payment_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> InvoiceResponse:
    """The receipt of a succeeded appointment deposit (issued once)."""
    return InvoiceResponse.model_validate(
        await invoices.issue_deposit_receipt(session, actor, payment_id)
    )


@router.get("/invoices/{invoice_id}", response_model=InvoiceResponse, responses=responses())
async def get_invoice(
    invoice_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> InvoiceResponse:
    """An invoice or receipt: its customer's, or its clinic staff's."""
    return InvoiceResponse.model_validate(await queries.get_invoice(session, actor, invoice_id))


@router.get(
    "/invoices/{invoice_id}/html",
    response_model=None,
    responses={
        **responses(),
        200: {
            "content": {"text/html": {"schema": {"type": "string"}}},
            "description": "The printable invoice or receipt",
        },
    },
)
async def invoice_html(invoice_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> HTMLResponse:
    """The invoice (a receipt once paid) as a self-contained, printable HTML page."""
    return HTMLResponse(await invoices.render_invoice_html(session, actor, invoice_id))


__all__ = ["GatewayDep", "router", "stripe_gateway", "stripe_settings"]
