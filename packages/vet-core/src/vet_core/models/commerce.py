"""Products, carts, orders, payments, refunds and invoices; money in minor units (cents).

Amounts are ``BIGINT`` counts of the currency's minor unit with a three-letter ISO currency,
never floats. Stripe object ids are unique, so replaying a Stripe event cannot create a second
row; :class:`ProcessedWebhookEvent` records which events were handled at all.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vet_core.models.base import (
    AuditMixin,
    Base,
    SoftDeleteMixin,
    TimestampMixin,
    UUIDPrimaryKeyMixin,
    enum_column_type,
)
from vet_core.models.enums import (
    InvoiceStatus,
    OrderStatus,
    PaymentStatus,
    ProductType,
    RefundStatus,
)
from vet_core.models.scheduling import CURRENCY_CHECK


class Product(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, SoftDeleteMixin, Base):
    """Something a clinic sells (``clinic_id`` null: offered platform-wide)."""

    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("unit_amount >= 0", name="unit_amount_non_negative"),
        CheckConstraint(CURRENCY_CHECK, name="currency_iso"),
        CheckConstraint("stock_quantity >= 0", name="stock_quantity_non_negative"),
        Index(
            "uq_products_clinic_id_sku",
            "clinic_id",
            "sku",
            unique=True,
            postgresql_where=text("deleted_at IS NULL"),
            postgresql_nulls_not_distinct=True,
        ),
    )

    clinic_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("clinics.id", ondelete="CASCADE")
    )
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    product_type: Mapped[ProductType] = mapped_column(enum_column_type(ProductType, "product_type"))
    unit_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    stock_quantity: Mapped[int | None] = mapped_column(Integer)
    stripe_product_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_price_id: Mapped[str | None] = mapped_column(String(255), unique=True)


class Cart(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """A person's shopping cart at one clinic (one per user and clinic).

    Products belong to a clinic or are offered platform-wide, and an order is placed at one
    clinic, so a cart is kept per clinic: shopping at two clinics keeps two carts. Lines hold
    quantities only; prices are read from the catalogue until checkout snapshots them.
    """

    __tablename__ = "carts"
    __table_args__ = (UniqueConstraint("user_id", "clinic_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    clinic_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clinics.id", ondelete="CASCADE"))

    items: Mapped[list[CartItem]] = relationship(
        back_populates="cart", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )


class CartItem(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """How many of one product are in a cart (one line per product)."""

    __tablename__ = "cart_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        UniqueConstraint("cart_id", "product_id"),
        Index("ix_cart_items_product_id", "product_id"),
    )

    cart_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("carts.id", ondelete="CASCADE"))
    product_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("products.id", ondelete="CASCADE")
    )
    quantity: Mapped[int] = mapped_column(Integer)

    cart: Mapped[Cart] = relationship(back_populates="items", lazy="raise")


class Order(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, Base):
    """A customer's order at a clinic; totals are snapshots at placing time."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("subtotal_amount >= 0", name="subtotal_amount_non_negative"),
        CheckConstraint("tax_amount >= 0", name="tax_amount_non_negative"),
        CheckConstraint("discount_amount >= 0", name="discount_amount_non_negative"),
        CheckConstraint(
            "total_amount = subtotal_amount + tax_amount - discount_amount", name="total_consistent"
        ),
        CheckConstraint("total_amount >= 0", name="total_amount_non_negative"),
        CheckConstraint(CURRENCY_CHECK, name="currency_iso"),
        Index("ix_orders_user_id_created_at", "user_id", "created_at"),
        Index("ix_orders_clinic_id_created_at", "clinic_id", "created_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="RESTRICT"))
    clinic_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("clinics.id", ondelete="RESTRICT")
    )
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("appointments.id", ondelete="SET NULL")
    )
    status: Mapped[OrderStatus] = mapped_column(
        enum_column_type(OrderStatus, "status"), default=OrderStatus.DRAFT
    )
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    tax_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    discount_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    total_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    placed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )


class OrderItem(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """A line of an order, with the product's name and price as they were when ordered."""

    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_amount >= 0", name="unit_amount_non_negative"),
        CheckConstraint("total_amount = unit_amount * quantity", name="total_consistent"),
        Index("ix_order_items_order_id", "order_id"),
        Index("ix_order_items_product_id", "product_id"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("orders.id", ondelete="CASCADE"))
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("products.id", ondelete="SET NULL")
    )
    name: Mapped[str] = mapped_column(String(200))
    unit_amount: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    total_amount: Mapped[int] = mapped_column(BigInteger)

    order: Mapped[Order] = relationship(back_populates="items", lazy="raise")


class Payment(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """A payment (a Stripe PaymentIntent) for an order, an invoice or an appointment."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        CheckConstraint(
            "amount_refunded BETWEEN 0 AND amount", name="amount_refunded_within_amount"
        ),
        CheckConstraint(CURRENCY_CHECK, name="currency_iso"),
        Index("ix_payments_user_id_created_at", "user_id", "created_at"),
        Index("ix_payments_order_id", "order_id"),
        Index("ix_payments_invoice_id", "invoice_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="RESTRICT"))
    order_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("orders.id", ondelete="RESTRICT")
    )
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("invoices.id", ondelete="RESTRICT")
    )
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("appointments.id", ondelete="SET NULL")
    )
    amount: Mapped[int] = mapped_column(BigInteger)
    amount_refunded: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[PaymentStatus] = mapped_column(
        enum_column_type(PaymentStatus, "status", length=32), default=PaymentStatus.PENDING
    )
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_charge_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    failure_code: Mapped[str | None] = mapped_column(String(100))
    failure_message: Mapped[str | None] = mapped_column(Text)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Refund(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, Base):
    """Money given back for a payment (a Stripe Refund)."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(CURRENCY_CHECK, name="currency_iso"),
        Index("ix_refunds_payment_id", "payment_id"),
    )

    payment_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("payments.id", ondelete="RESTRICT")
    )
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[RefundStatus] = mapped_column(
        enum_column_type(RefundStatus, "status"), default=RefundStatus.PENDING
    )
    reason: Mapped[str | None] = mapped_column(Text)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Invoice(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, Base):
    """A bill issued by a clinic; ``number`` is the human-facing, unique invoice number."""

    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint("amount_due >= 0", name="amount_due_non_negative"),
        CheckConstraint("amount_paid >= 0", name="amount_paid_non_negative"),
        CheckConstraint(CURRENCY_CHECK, name="currency_iso"),
        CheckConstraint("status <> 'paid' OR paid_at IS NOT NULL", name="paid_at_when_paid"),
        Index("ix_invoices_user_id_created_at", "user_id", "created_at"),
        Index("ix_invoices_clinic_id_created_at", "clinic_id", "created_at"),
    )

    number: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="RESTRICT"))
    clinic_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("clinics.id", ondelete="RESTRICT")
    )
    order_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("orders.id", ondelete="RESTRICT")
    )
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("appointments.id", ondelete="SET NULL")
    )
    status: Mapped[InvoiceStatus] = mapped_column(
        enum_column_type(InvoiceStatus, "status"), default=InvoiceStatus.DRAFT
    )
    currency: Mapped[str] = mapped_column(String(3))
    amount_due: Mapped[int] = mapped_column(BigInteger)
    amount_paid: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_on: Mapped[date | None] = mapped_column(Date)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stripe_invoice_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    pdf_file_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("files.id", ondelete="SET NULL")
    )


class ProcessedWebhookEvent(Base):
    """A webhook event already handled, keyed by provider and the provider's event id.

    Handlers insert the row in the same transaction as their effects; a redelivered event then
    violates the primary key and is skipped, which makes webhook handling idempotent.
    """

    __tablename__ = "processed_webhook_events"

    provider: Mapped[str] = mapped_column(String(50), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


__all__ = [
    "Cart",
    "CartItem",
    "Invoice",
    "Order",
    "OrderItem",
    "Payment",
    "ProcessedWebhookEvent",
    "Product",
    "Refund",
]
