"""Commerce (minor units), reviews, audit log and file schemas."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from ipaddress import ip_address
from typing import Any

import pytest
from pydantic import BaseModel

from vet_core.models.audit import AuditLog
from vet_core.models.commerce import Payment, Product
from vet_core.models.enums import (
    ActorType,
    AuditAction,
    PaymentStatus,
    ProductType,
)
from vet_core.schemas.audit import AuditLogCreate, AuditLogResponse
from vet_core.schemas.commerce import (
    InvoiceCreate,
    OrderCreate,
    PaymentResponse,
    PaymentStaffResponse,
    ProductCreate,
    ProductResponse,
    RefundCreate,
)
from vet_core.schemas.files import FileObjectCreate, FileObjectUpdate
from vet_core.schemas.reviews import ClinicReviewCreate, ReviewModeration

ErrorsOf = Callable[[type[BaseModel], dict[str, Any]], dict[str, str]]

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def product(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "sku": "FOOD-1",
        "name": "Kibble",
        "product_type": "food",
        "unit_amount": 1250,
        "currency": "USD",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"unit_amount": 12.5}, "unit_amount", "valid integer"),
        ({"unit_amount": "1250"}, "unit_amount", "valid integer"),
        ({"unit_amount": -1}, "unit_amount", "greater than or equal to 0"),
        ({"currency": "EURO"}, "currency", "three uppercase letters"),
        ({"sku": "FOOD 1"}, "sku", "pattern"),
    ],
)
def test_product_create_rejects(
    overrides: dict[str, Any], field: str, message: str, errors_of: ErrorsOf
) -> None:
    errors = errors_of(ProductCreate, product(**overrides))
    assert field in errors, errors
    assert message in errors[field]


@pytest.mark.parametrize(
    ("amount", "currency", "price"),
    [
        (1250, "USD", Decimal("12.50")),
        (1250, "JPY", Decimal(1250)),
        (1250, "KWD", Decimal("1.250")),
    ],
)
def test_product_response_price_uses_currency_exponent(
    amount: int, currency: str, price: Decimal
) -> None:
    row = Product(
        id=uuid.uuid4(),
        created_at=NOW,
        updated_at=NOW,
        clinic_id=None,
        sku="FOOD-1",
        name="Kibble",
        description=None,
        product_type=ProductType.FOOD,
        unit_amount=amount,
        currency=currency,
        is_active=True,
        stock_quantity=None,
    )
    response = ProductResponse.model_validate(row)
    assert response.unit_price == price
    assert response.model_dump(mode="json")["unit_price"] == str(price)


def test_order_and_refund_and_invoice(errors_of: ErrorsOf) -> None:
    item = {"product_id": str(uuid.uuid4()), "quantity": 2}
    order = {"clinic_id": str(uuid.uuid4()), "currency": "USD", "items": [item]}
    assert OrderCreate.model_validate(order).items[0].quantity == 2
    assert "items" in errors_of(OrderCreate, {**order, "items": []})
    assert errors_of(OrderCreate, {**order, "items": [item, item]}) == {
        "": "Value error, each product may appear once; raise its quantity instead"
    }
    assert "items.0.quantity" in errors_of(
        OrderCreate, {**order, "items": [{**item, "quantity": 0}]}
    )
    assert "greater than 0" in errors_of(RefundCreate, {"amount": 0})["amount"]
    invoice = {
        "user_id": str(uuid.uuid4()),
        "clinic_id": str(uuid.uuid4()),
        "currency": "USD",
        "amount_due": 100,
    }
    assert errors_of(InvoiceCreate, invoice) == {
        "": "Value error, an invoice needs order_id or appointment_id"
    }


def test_payment_staff_response_adds_stripe_ids() -> None:
    row = Payment(
        id=uuid.uuid4(),
        created_at=NOW,
        updated_at=NOW,
        user_id=uuid.uuid4(),
        order_id=None,
        invoice_id=None,
        appointment_id=None,
        amount=5000,
        amount_refunded=0,
        currency="USD",
        status=PaymentStatus.SUCCEEDED,
        stripe_payment_intent_id="pi_123",
        stripe_charge_id="ch_123",
        failure_code=None,
        failure_message=None,
        paid_at=NOW,
    )
    assert "stripe_payment_intent_id" not in PaymentResponse.model_validate(row).model_dump()
    assert PaymentStaffResponse.model_validate(row).stripe_payment_intent_id == "pi_123"


def test_reviews(errors_of: ErrorsOf) -> None:
    data = {"appointment_id": str(uuid.uuid4()), "rating": 5, "body": "Great vet"}
    assert ClinicReviewCreate.model_validate(data).rating == 5
    for rating, message in ((0, "greater than or equal to 1"), (6, "less than or equal to 5")):
        assert message in errors_of(ClinicReviewCreate, {**data, "rating": rating})["rating"]
    assert errors_of(ReviewModeration, {}) == {
        "": "Value error, an update must set at least one field"
    }


def test_audit_log(errors_of: ErrorsOf) -> None:
    assert errors_of(
        AuditLogCreate, {"actor_type": "user", "action": "update", "entity_type": "pet"}
    ) == {"": "Value error, actor_id is required unless actor_type is system"}
    entry = AuditLogCreate.model_validate(
        {"actor_type": "system", "action": "delete", "entity_type": "pet", "ip_address": "10.0.0.1"}
    )
    assert entry.ip_address == ip_address("10.0.0.1")
    assert "entity_type" in errors_of(
        AuditLogCreate, {"actor_type": "system", "action": "delete", "entity_type": "Pet Record"}
    )
    row = AuditLog(
        id=uuid.uuid4(),
        occurred_at=NOW,
        actor_type=ActorType.USER,
        actor_id=uuid.uuid4(),
        action=AuditAction.UPDATE,
        entity_type="pet",
        entity_id=uuid.uuid4(),
        changes={"name": {"old": "Rex", "new": "Max"}},
        request_id="req-1",
        ip_address=ip_address("2001:db8::1"),
        user_agent=None,
    )
    assert AuditLogResponse.model_validate(row).ip_address == "2001:db8::1"


def test_files(errors_of: ErrorsOf) -> None:
    data = {"filename": "scan.pdf", "content_type": "application/pdf", "size_bytes": 1024}
    assert FileObjectCreate.model_validate(data).size_bytes == 1024
    assert "filename" in errors_of(FileObjectCreate, {**data, "filename": "../etc/passwd"})
    assert "checksum_sha256" in errors_of(FileObjectCreate, {**data, "checksum_sha256": "ABC"})
    assert "size_bytes" in errors_of(FileObjectCreate, {**data, "size_bytes": 200 * 1024 * 1024})
    assert errors_of(FileObjectCreate, {**data, "entity_type": "pet"}) == {
        "": "Value error, entity_type and entity_id must be given together"
    }
    assert FileObjectUpdate.model_validate({"entity_type": None, "entity_id": None}).changes() == {
        "entity_type": None,
        "entity_id": None,
    }
