"""Schemas of products, carts, orders, payments, refunds and invoices.

Amounts here are integers in the currency's minor units (cents; yen for JPY), as Stripe counts
them; :func:`vet_core.utils.money.from_minor_units` turns them into ``Decimal`` for display.
Ids from Stripe and the totals are set by the services, never accepted from clients.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field, computed_field, model_validator

from vet_core.models.enums import (
    InvoiceStatus,
    OrderStatus,
    PaymentStatus,
    ProductType,
    RefundStatus,
)
from vet_core.schemas.base import (
    CreateSchema,
    CurrencyCode,
    EntityResponse,
    InputSchema,
    LongText,
    MinorUnits,
    ORMModel,
    ShortText,
    UpdateSchema,
)
from vet_core.schemas.scheduling import IdempotencyKey
from vet_core.utils.money import from_minor_units

Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Quantity = Annotated[int, Field(ge=1, le=10_000)]
PositiveMinorUnits = Annotated[int, Field(gt=0, strict=True)]


class ProductCreate(CreateSchema):
    """A product or service a clinic (or the platform, without ``clinic_id``) sells."""

    clinic_id: UUID | None = None
    sku: Sku
    name: ShortText
    description: LongText | None = None
    product_type: ProductType
    unit_amount: MinorUnits
    currency: CurrencyCode
    is_active: bool = True
    stock_quantity: Annotated[int, Field(ge=0)] | None = None


class ProductUpdate(UpdateSchema):
    """A partial change to a product."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset({"description", "stock_quantity"})

    sku: Sku | None = None
    name: ShortText | None = None
    description: LongText | None = None
    product_type: ProductType | None = None
    unit_amount: MinorUnits | None = None
    currency: CurrencyCode | None = None
    is_active: bool | None = None
    stock_quantity: Annotated[int, Field(ge=0)] | None = None


class ProductResponse(EntityResponse):
    """A product, with its price also as a decimal for display."""

    clinic_id: UUID | None
    sku: str
    name: str
    description: str | None
    product_type: ProductType
    unit_amount: int
    currency: str
    is_active: bool
    stock_quantity: int | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unit_price(self) -> Decimal:
        """``unit_amount`` in major units (``1250`` USD → ``12.50``)."""
        return from_minor_units(self.unit_amount, self.currency)


class CartItemQuantity(InputSchema):
    """How many of a product the cart should hold (``0`` takes the product out)."""

    quantity: Annotated[int, Field(ge=0, le=10_000, strict=True)]


class CartCheckout(CreateSchema):
    """Place the cart at ``clinic_id`` as an order (the lines and prices come from the cart).

    ``pet_id`` names the pet prescription-only products are for; ``appointment_id`` ties the
    order to one of the customer's appointments at that clinic.
    """

    clinic_id: UUID
    appointment_id: UUID | None = None
    pet_id: UUID | None = None
    idempotency_key: IdempotencyKey | None = None


class CartItemResponse(ORMModel):
    """A cart line priced from today's catalogue; ``available`` is false when it cannot be
    ordered as it is (withdrawn from sale, or more than is in stock)."""

    product_id: UUID
    name: str
    unit_amount: int
    currency: str
    quantity: int
    total_amount: int
    available: bool
    updated_at: datetime


class CartResponse(ORMModel):
    """The caller's cart at one clinic; prices are snapshotted only when it is ordered."""

    clinic_id: UUID
    user_id: UUID
    currency: str | None
    items: list[CartItemResponse] = Field(default_factory=list)
    item_count: int
    subtotal_amount: int
    updated_at: datetime | None


class OrderItemCreate(CreateSchema):
    """A line of a new order; the price is snapshotted from the product by the service."""

    product_id: UUID
    quantity: Quantity = 1


class OrderCreate(CreateSchema):
    """A new order at a clinic."""

    clinic_id: UUID
    appointment_id: UUID | None = None
    currency: CurrencyCode
    items: list[OrderItemCreate] = Field(min_length=1, max_length=100)
    idempotency_key: IdempotencyKey | None = None

    @model_validator(mode="after")
    def _one_line_per_product(self) -> OrderCreate:
        products = [item.product_id for item in self.items]
        if len(set(products)) != len(products):
            raise ValueError("each product may appear once; raise its quantity instead")
        return self


class OrderUpdate(UpdateSchema):
    """Staff change an order's status (the service checks the transition)."""

    status: OrderStatus | None = None


class OrderItemResponse(EntityResponse):
    """A line of an order with the price at the time of ordering."""

    order_id: UUID
    product_id: UUID | None
    name: str
    unit_amount: int
    quantity: int
    total_amount: int


class OrderResponse(EntityResponse):
    """An order and its totals (minor units)."""

    user_id: UUID
    clinic_id: UUID
    appointment_id: UUID | None
    status: OrderStatus
    currency: str
    subtotal_amount: int
    tax_amount: int
    discount_amount: int
    total_amount: int
    placed_at: datetime | None
    items: list[OrderItemResponse] = Field(default_factory=list)


class PaymentResponse(EntityResponse):
    """A payment attempt and its outcome."""

    user_id: UUID
    order_id: UUID | None
    invoice_id: UUID | None
    appointment_id: UUID | None
    amount: int
    amount_refunded: int
    currency: str
    status: PaymentStatus
    failure_code: str | None
    failure_message: str | None
    paid_at: datetime | None


class PaymentStaffResponse(PaymentResponse):
    """A payment with the provider's ids, for staff reconciling with Stripe."""

    stripe_payment_intent_id: str | None
    stripe_charge_id: str | None


class RefundCreate(CreateSchema):
    """Refund part or all of a payment (the service checks it does not exceed what is left)."""

    amount: PositiveMinorUnits
    reason: LongText | None = None


class RefundResponse(EntityResponse):
    """A refund."""

    payment_id: UUID
    amount: int
    currency: str
    status: RefundStatus
    reason: str | None
    refunded_at: datetime | None


class InvoiceCreate(CreateSchema):
    """An invoice for an order or an appointment."""

    user_id: UUID
    clinic_id: UUID
    order_id: UUID | None = None
    appointment_id: UUID | None = None
    currency: CurrencyCode
    amount_due: MinorUnits
    due_on: date | None = None

    @model_validator(mode="after")
    def _bills_something(self) -> InvoiceCreate:
        if self.order_id is None and self.appointment_id is None:
            raise ValueError("an invoice needs order_id or appointment_id")
        return self


class InvoiceUpdate(UpdateSchema):
    """Change an open invoice's due date or status (void, uncollectible)."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset({"due_on"})

    status: InvoiceStatus | None = None
    due_on: date | None = None


class InvoiceResponse(EntityResponse):
    """An invoice."""

    number: str
    user_id: UUID
    clinic_id: UUID
    order_id: UUID | None
    appointment_id: UUID | None
    status: InvoiceStatus
    currency: str
    amount_due: int
    amount_paid: int
    issued_at: datetime | None
    due_on: date | None
    paid_at: datetime | None
    pdf_file_id: UUID | None


__all__ = [
    "CartCheckout",
    "CartItemQuantity",
    "CartItemResponse",
    "CartResponse",
    "InvoiceCreate",
    "InvoiceResponse",
    "InvoiceUpdate",
    "OrderCreate",
    "OrderItemCreate",
    "OrderItemResponse",
    "OrderResponse",
    "OrderUpdate",
    "PaymentResponse",
    "PaymentStaffResponse",
    "ProductCreate",
    "ProductResponse",
    "ProductUpdate",
    "RefundCreate",
    "RefundResponse",
]
