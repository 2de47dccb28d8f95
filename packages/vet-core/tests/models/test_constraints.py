"""Every CHECK, UNIQUE and FOREIGN KEY constraint rejects a row that breaks it.

Each case builds an otherwise valid row with the factory, changes what the constraint forbids,
and expects PostgreSQL to refuse it *by that constraint's name*. The foreign-key cases are
generated from the metadata: every foreign key is tried with an id that does not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import ForeignKeyConstraint, literal_column, select, text
from sqlalchemy.exc import IntegrityError

from vet_core.models import (
    ApiKey,
    Appointment,
    AppointmentHold,
    Base,
    Cart,
    CartItem,
    ChatBot,
    Clinic,
    ClinicClosure,
    ClinicMembership,
    ClinicOperatingHours,
    ClinicReview,
    ConversationParticipant,
    FileObject,
    HealthRecord,
    Invoice,
    Message,
    MessageReaction,
    NotificationDelivery,
    Order,
    OrderItem,
    OutboxEvent,
    Payment,
    Pet,
    PetOwnership,
    Prescription,
    ProcessedWebhookEvent,
    Product,
    Refund,
    Reminder,
    ReviewReport,
    User,
    Veterinarian,
    VeterinarianAvailability,
    VeterinarianReview,
    VeterinarianTimeOff,
    WaitlistEntry,
    WeightRecord,
)
from vet_core.models.base import uuid7
from vet_core.models.enums import (
    AppointmentStatus,
    HealthRecordType,
    InvoiceStatus,
    MessageType,
    OutboxStatus,
    OwnershipEndReason,
    OwnershipRole,
    PetStatus,
)

#: The factory's default appointment start (conftest.BASE_TIME).
BASE_TIME = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)

Setup = Callable[[Any], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Case:
    """``model`` with ``overrides`` (plus what ``setup`` returns) must violate ``constraint``."""

    id: str
    model: type[Base]
    constraint: str
    overrides: dict[str, Any] = field(default_factory=dict)
    setup: Setup | None = None


def case(
    model: type[Base],
    name: str,
    overrides: dict[str, Any] | None = None,
    *,
    label: str = "",
    setup: Setup | None = None,
) -> Case:
    constraint = (
        name
        if name.startswith(("uq_", "pk_", "ex_", "fk_"))
        else f"ck_{model.__tablename__}_{name}"
    )
    return Case(
        f"{constraint}{'-' + label if label else ''}", model, constraint, overrides or {}, setup
    )


def existing(model: type[Base], **values: Any) -> Setup:
    """A setup that first inserts a ``model`` row with ``values`` and returns nothing to add."""

    async def run(factory: Any) -> dict[str, Any]:
        await factory.create(model, **values)
        return {}

    return run


def sharing(model: type[Base], *keys: str, **values: Any) -> Setup:
    """A setup inserting a ``model`` row and returning its ``keys`` for the row under test."""

    async def run(factory: Any) -> dict[str, Any]:
        row = await factory.create(model, **values)
        return {key: getattr(row, key) for key in keys}

    return run


def _current_primary_owner_setup() -> Setup:
    async def run(factory: Any) -> dict[str, Any]:
        first = await factory.create(PetOwnership, role=OwnershipRole.PRIMARY)
        return {"pet_id": first.pet_id}

    return run


#: PostgreSQL reads ``24:00`` as a time; Python cannot, and the hours rule writes it ``00:00``.
MIDNIGHT_AS_24_00 = literal_column("'24:00'::time")

CHECK_CASES = [
    case(User, "phone_e164", {"phone": "555-1234"}),
    case(User, "phone_e164", {"phone": "+0123456"}, label="leading-zero"),
    case(User, "email_not_blank", {"email": ""}),
    case(ApiKey, "prefix_length", {"prefix": "vk"}),
    case(Clinic, "latitude_range", {"latitude": 90.5}),
    case(Clinic, "latitude_range", {"latitude": -91.0}, label="south"),
    case(Clinic, "longitude_range", {"longitude": 180.01}),
    case(Clinic, "longitude_range", {"longitude": -181.0}, label="west"),
    case(Clinic, "country_code_iso", {"country_code": "us"}),
    case(Clinic, "rating_average_range", {"rating_average": Decimal("5.01")}),
    case(Clinic, "review_count_non_negative", {"review_count": -1}),
    case(Clinic, "phone_e164", {"phone": "+1 555 0100"}),
    case(ClinicOperatingHours, "weekday_range", {"weekday": 0}),
    case(ClinicOperatingHours, "weekday_range", {"weekday": 8}, label="eight"),
    case(ClinicOperatingHours, "times_within_day", {"closes_at": MIDNIGHT_AS_24_00}),
    case(ClinicOperatingHours, "times_within_day", {"opens_at": MIDNIGHT_AS_24_00}, label="opens"),
    case(ClinicOperatingHours, "breaks_is_array", {"breaks": {"start": "12:00"}}),
    case(
        ClinicClosure,
        "ends_on_after_starts_on",
        {"starts_on": date(2031, 1, 2), "ends_on": date(2031, 1, 1)},
    ),
    case(ClinicClosure, "special_hours_consistent", {"is_closed_all_day": False}),
    case(
        ClinicClosure,
        "special_hours_consistent",
        {"is_closed_all_day": False, "opens_at": time(10)},
        label="no-closing-time",
    ),
    case(
        ClinicClosure,
        "special_hours_consistent",
        {"opens_at": time(10), "closes_at": time(14)},
        label="closed-all-day-with-hours",
    ),
    case(
        ClinicClosure,
        "times_within_day",
        {"is_closed_all_day": False, "opens_at": time(20), "closes_at": MIDNIGHT_AS_24_00},
    ),
    case(
        ClinicMembership,
        "ended_after_started",
        {"started_at": BASE_TIME, "ended_at": BASE_TIME - timedelta(days=1)},
    ),
    case(Veterinarian, "species_expertise_known", {"species_expertise": ["dog", "dragon"]}),
    case(Veterinarian, "default_appointment_minutes_range", {"default_appointment_minutes": 0}),
    case(Veterinarian, "rating_average_range", {"rating_average": Decimal("0.99")}),
    case(Veterinarian, "review_count_non_negative", {"review_count": -3}),
    case(VeterinarianAvailability, "weekday_range", {"weekday": 9}),
    case(
        VeterinarianAvailability,
        "times_within_day",
        {"starts_at_local": time(22), "ends_at_local": MIDNIGHT_AS_24_00},
    ),
    case(
        VeterinarianAvailability,
        "effective_until_after_from",
        {"effective_from": date(2031, 2, 1), "effective_until": date(2031, 1, 1)},
    ),
    case(VeterinarianTimeOff, "ends_after_starts", {"ends_at": BASE_TIME}),
    case(Pet, "microchip_format", {"microchip": "12345"}),
    case(Pet, "microchip_format", {"microchip": "98514100000001X"}, label="letter"),
    case(Pet, "microchip_format", {"microchip": "98514100000012"}, label="fourteen-digits"),
    case(Pet, "approximate_age_months_range", {"birth_date": None, "approximate_age_months": 12}),
    case(Pet, "approximate_age_months_range", {"approximate_age_months": -1}, label="negative"),
    case(Pet, "approximate_age_years_range", {"approximate_age_years": -1}),
    case(Pet, "birth_date_or_approximate_age", {"birth_date": None}),
    case(Pet, "deceased_on_iff_deceased", {"status": PetStatus.DECEASED, "deceased_on": None}),
    case(
        Pet, "deceased_on_iff_deceased", {"deceased_on": date(2030, 1, 1)}, label="alive-with-date"
    ),
    case(
        Pet, "deceased_after_birth", {"status": PetStatus.DECEASED, "deceased_on": date(2019, 1, 1)}
    ),
    case(Pet, "name_not_blank", {"name": "  "}),
    case(PetOwnership, "end_reason_iff_ended", {"ended_at": BASE_TIME}),
    case(
        PetOwnership,
        "ended_after_started",
        {
            "started_at": BASE_TIME,
            "ended_at": BASE_TIME - timedelta(seconds=1),
            "end_reason": OwnershipEndReason.TRANSFERRED,
        },
    ),
    case(WeightRecord, "weight_positive", {"weight_kg": Decimal("0")}),
    case(WeightRecord, "weight_positive", {"weight_kg": Decimal("-2.5")}, label="negative"),
    case(
        HealthRecord,
        "addendum_iff_amends",
        {"record_type": HealthRecordType.ADDENDUM, "amends_id": None},
    ),
    case(HealthRecord, "attachments_is_array", {"attachments": {"file": 1}}),
    case(HealthRecord, "locked_by_when_locked", {"locked_at": BASE_TIME}),
    case(Prescription, "refills_allowed_non_negative", {"refills_allowed": -1, "refills_used": -1}),
    case(Prescription, "refills_used_within_allowed", {"refills_allowed": 1, "refills_used": 2}),
    case(Prescription, "quantity_positive", {"quantity": Decimal("0")}),
    case(Appointment, "ends_after_starts", {"ends_at": BASE_TIME}),
    case(
        Appointment,
        "ends_after_starts",
        {"ends_at": BASE_TIME - timedelta(minutes=5)},
        label="before",
    ),
    case(Appointment, "price_non_negative", {"price": Decimal("-0.01")}),
    case(Appointment, "currency_iso", {"currency": "usd"}),
    case(
        Appointment,
        "cancelled_at_iff_cancelled",
        {"status": AppointmentStatus.CANCELLED, "cancelled_at": None},
    ),
    case(
        Appointment,
        "cancelled_at_iff_cancelled",
        {"cancelled_at": BASE_TIME},
        label="active-with-cancel-time",
    ),
    case(
        Appointment,
        "completed_at_when_completed",
        {"status": AppointmentStatus.COMPLETED, "completed_at": None},
    ),
    case(AppointmentHold, "ends_after_starts", {"ends_at": BASE_TIME}),
    case(WaitlistEntry, "window_ordered", {"earliest_at": BASE_TIME, "latest_at": BASE_TIME}),
    case(Reminder, "recurrence_interval_positive", {"recurrence_interval": 0}),
    case(NotificationDelivery, "attempts_non_negative", {"attempts": -1}),
    case(Message, "sender_for_user_messages", {"sender_id": None}),
    case(Message, "body_or_attachments", {"body": "   "}),
    case(Message, "attachments_is_array", {"attachments": {"a": 1}}),
    case(MessageReaction, "emoji_length", {"emoji": ""}),
    case(
        ConversationParticipant,
        "left_after_joined",
        {"joined_at": BASE_TIME, "left_at": BASE_TIME - timedelta(hours=1)},
    ),
    case(ClinicReview, "rating_range", {"rating": 0}),
    case(ClinicReview, "rating_range", {"rating": 6}, label="six"),
    case(VeterinarianReview, "rating_range", {"rating": 0}),
    case(VeterinarianReview, "rating_range", {"rating": 6}, label="six"),
    case(ClinicReview, "report_count_non_negative", {"report_count": -1}),
    case(VeterinarianReview, "report_count_non_negative", {"report_count": -1}),
    case(ReviewReport, "one_review", {"clinic_review_id": None}),
    case(CartItem, "quantity_positive", {"quantity": 0}),
    case(Product, "unit_amount_non_negative", {"unit_amount": -1}),
    case(Product, "currency_iso", {"currency": "eur"}),
    case(Product, "stock_quantity_non_negative", {"stock_quantity": -1}),
    case(
        Order,
        "subtotal_amount_non_negative",
        {"subtotal_amount": -1, "tax_amount": 1, "total_amount": 0},
    ),
    case(Order, "total_consistent", {"total_amount": 1}),
    case(Order, "discount_amount_non_negative", {"discount_amount": -1, "total_amount": 2807}),
    case(OrderItem, "quantity_positive", {"quantity": 0, "total_amount": 0}),
    case(OrderItem, "total_consistent", {"total_amount": 1}),
    case(
        OrderItem,
        "unit_amount_non_negative",
        {"unit_amount": -1, "quantity": 1, "total_amount": -1},
    ),
    case(Payment, "amount_non_negative", {"amount": -1, "amount_refunded": -1}),
    case(Payment, "amount_refunded_within_amount", {"amount_refunded": 2807}),
    case(Refund, "amount_positive", {"amount": 0}),
    case(Invoice, "amount_due_non_negative", {"amount_due": -100}),
    case(Invoice, "amount_paid_non_negative", {"amount_paid": -1}),
    case(Invoice, "paid_at_when_paid", {"status": InvoiceStatus.PAID, "paid_at": None}),
    case(FileObject, "size_non_negative", {"size_bytes": -1}),
    case(FileObject, "checksum_sha256_hex", {"checksum_sha256": "AB" * 32}),
    case(FileObject, "entity_link_complete", {"entity_type": "pet"}),
    case(OutboxEvent, "attempts_non_negative", {"attempts": -1}),
    case(
        OutboxEvent,
        "published_at_iff_published",
        {"status": OutboxStatus.PUBLISHED, "published_at": None},
    ),
    case(
        OutboxEvent,
        "published_at_iff_published",
        {"published_at": BASE_TIME},
        label="pending-with-time",
    ),
]

UNIQUE_CASES = [
    case(
        User,
        "uq_users_email_lower",
        {"email": "ADA@example.COM"},
        setup=existing(User, email="ada@Example.com"),
    ),
    case(
        User,
        "uq_users_clerk_user_id",
        {"clerk_user_id": "user_same"},
        setup=existing(User, clerk_user_id="user_same"),
    ),
    case(
        ApiKey,
        "uq_api_keys_key_hash",
        {"key_hash": "f" * 64},
        setup=existing(ApiKey, key_hash="f" * 64),
    ),
    case(
        ApiKey,
        "uq_api_keys_prefix",
        {"prefix": "vk_same"},
        setup=existing(ApiKey, prefix="vk_same"),
    ),
    case(
        Clinic, "uq_clinics_slug", {"slug": "same-slug"}, setup=existing(Clinic, slug="same-slug")
    ),
    case(
        ClinicOperatingHours,
        "uq_clinic_operating_hours_slot",
        setup=sharing(ClinicOperatingHours, "clinic_id"),
    ),
    case(
        ClinicMembership,
        "uq_clinic_memberships_current",
        setup=sharing(ClinicMembership, "clinic_id", "user_id"),
    ),
    case(
        Veterinarian,
        "uq_veterinarians_license_number",
        {"license_number": "LIC-SAME"},
        setup=existing(Veterinarian, license_number="LIC-SAME"),
    ),
    case(Veterinarian, "uq_veterinarians_user_id", setup=sharing(Veterinarian, "user_id")),
    case(
        Pet,
        "uq_pets_microchip",
        {"microchip": "985141000000123"},
        setup=existing(Pet, microchip="985141000000123"),
    ),
    case(
        PetOwnership,
        "uq_pet_ownerships_current_primary",
        {"role": OwnershipRole.PRIMARY},
        setup=_current_primary_owner_setup(),
    ),
    case(
        PetOwnership,
        "uq_pet_ownerships_current_owner",
        {"role": OwnershipRole.CO_OWNER},
        setup=sharing(PetOwnership, "pet_id", "user_id", role=OwnershipRole.CO_OWNER),
    ),
    case(
        Appointment,
        "uq_appointments_idempotency_key",
        {"idempotency_key": "idem-1"},
        setup=existing(Appointment, idempotency_key="idem-1"),
    ),
    case(Cart, "uq_carts_user_id_clinic_id", setup=sharing(Cart, "user_id", "clinic_id")),
    case(
        CartItem,
        "uq_cart_items_cart_id_product_id",
        setup=sharing(CartItem, "cart_id", "product_id"),
    ),
    case(
        ReviewReport,
        "uq_review_reports_clinic_review_id_reporter_id",
        setup=sharing(ReviewReport, "clinic_review_id", "reporter_id"),
    ),
    case(
        ClinicReview,
        "uq_clinic_reviews_appointment_id",
        setup=sharing(ClinicReview, "appointment_id"),
    ),
    case(
        VeterinarianReview,
        "uq_veterinarian_reviews_appointment_id",
        setup=sharing(VeterinarianReview, "appointment_id"),
    ),
    case(
        NotificationDelivery,
        "uq_notification_deliveries_dedup_key",
        {"dedup_key": "reminder:1:email:2031-03-03T09:00Z"},
        setup=existing(NotificationDelivery, dedup_key="reminder:1:email:2031-03-03T09:00Z"),
    ),
    case(
        ConversationParticipant,
        "uq_conversation_participants_conversation_id_user_id",
        setup=sharing(ConversationParticipant, "conversation_id", "user_id"),
    ),
    case(
        MessageReaction,
        "uq_message_reactions_message_id_user_id_emoji",
        setup=sharing(MessageReaction, "message_id", "user_id"),
    ),
    case(ChatBot, "uq_chat_bots_clinic_id", setup=sharing(ChatBot, "clinic_id")),
    case(
        Product,
        "uq_products_clinic_id_sku",
        {"sku": "SKU-SAME"},
        label="platform-wide",
        setup=existing(Product, sku="SKU-SAME"),
    ),
    case(
        Product,
        "uq_products_stripe_price_id",
        {"stripe_price_id": "price_1"},
        setup=existing(Product, stripe_price_id="price_1"),
    ),
    case(
        Order,
        "uq_orders_idempotency_key",
        {"idempotency_key": "order-1"},
        setup=existing(Order, idempotency_key="order-1"),
    ),
    case(
        Payment,
        "uq_payments_stripe_payment_intent_id",
        {"stripe_payment_intent_id": "pi_same"},
        setup=existing(Payment, stripe_payment_intent_id="pi_same"),
    ),
    case(
        Payment,
        "uq_payments_stripe_charge_id",
        {"stripe_charge_id": "ch_same"},
        setup=existing(Payment, stripe_charge_id="ch_same"),
    ),
    case(
        Refund,
        "uq_refunds_stripe_refund_id",
        {"stripe_refund_id": "re_same"},
        setup=existing(Refund, stripe_refund_id="re_same"),
    ),
    case(
        Invoice,
        "uq_invoices_number",
        {"number": "INV-0001"},
        setup=existing(Invoice, number="INV-0001"),
    ),
    case(
        Invoice,
        "uq_invoices_stripe_invoice_id",
        {"stripe_invoice_id": "in_same"},
        setup=existing(Invoice, stripe_invoice_id="in_same"),
    ),
    case(
        ProcessedWebhookEvent,
        "pk_processed_webhook_events",
        {"event_id": "evt_same"},
        setup=existing(ProcessedWebhookEvent, event_id="evt_same"),
    ),
    case(
        FileObject,
        "uq_files_storage_key",
        {"storage_key": "uploads/same"},
        setup=existing(FileObject, storage_key="uploads/same"),
    ),
    case(
        OutboxEvent,
        "uq_outbox_events_dedup_key",
        {"dedup_key": "appt:1:confirmed"},
        setup=existing(OutboxEvent, dedup_key="appt:1:confirmed"),
    ),
]


OVERNIGHT_ROWS = [
    pytest.param(
        ClinicOperatingHours,
        {
            "opens_at": time(18),
            "closes_at": time(8),
            "breaks": [{"start": "02:00", "end": "02:30"}],
        },
        ("opens_at", "closes_at"),
        id="clinic-open-18-to-08",
    ),
    pytest.param(
        ClinicOperatingHours,
        {"opens_at": time(0), "closes_at": time(0)},
        ("opens_at", "closes_at"),
        id="clinic-open-around-the-clock",
    ),
    pytest.param(
        ClinicClosure,
        {"is_closed_all_day": False, "opens_at": time(20), "closes_at": time(2)},
        ("opens_at", "closes_at"),
        id="special-hours-past-midnight",
    ),
    pytest.param(
        VeterinarianAvailability,
        {"starts_at_local": time(22), "ends_at_local": time(6)},
        ("starts_at_local", "ends_at_local"),
        id="night-shift-22-to-06",
    ),
    pytest.param(
        VeterinarianAvailability,
        {"starts_at_local": time(8), "ends_at_local": time(8)},
        ("starts_at_local", "ends_at_local"),
        id="24-hour-shift",
    ),
]


@pytest.mark.parametrize(("model", "values", "columns"), OVERNIGHT_ROWS)
async def test_intervals_past_midnight_are_stored(db_session, factory, model, values, columns):
    row = await factory.create(model, **values)
    stored = (
        await db_session.execute(
            select(*(getattr(model, column) for column in columns)).where(model.id == row.id)
        )
    ).one()
    assert tuple(stored) == tuple(values[column] for column in columns)


async def _expect_violation(db_session, factory, model, constraint, overrides, setup=None):
    with pytest.raises(IntegrityError) as raised:
        async with db_session.begin_nested():
            values = dict(overrides)
            if setup is not None:
                values.update(await setup(factory))
            await factory.create(model, **values)
    assert f'"{constraint}"' in str(raised.value.orig), str(raised.value.orig)


@pytest.mark.parametrize("check", CHECK_CASES, ids=[c.id for c in CHECK_CASES])
async def test_check_constraint_rejects_bad_row(db_session, factory, check):
    await _expect_violation(db_session, factory, check.model, check.constraint, check.overrides)


@pytest.mark.parametrize("unique", UNIQUE_CASES, ids=[c.id for c in UNIQUE_CASES])
async def test_unique_constraint_rejects_duplicate(db_session, factory, unique):
    await _expect_violation(
        db_session, factory, unique.model, unique.constraint, unique.overrides, unique.setup
    )


def _foreign_keys() -> list[tuple[type[Base], str, str]]:
    found = []
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        for constraint in table.constraints:
            if isinstance(constraint, ForeignKeyConstraint):
                (column,) = constraint.columns
                attribute = mapper.get_property_by_column(column).key
                found.append((mapper.class_, attribute, str(constraint.name)))
    return sorted(found, key=lambda item: item[2])


FOREIGN_KEYS = _foreign_keys()


@pytest.mark.parametrize(
    ("model", "attribute", "constraint"), FOREIGN_KEYS, ids=[name for _, _, name in FOREIGN_KEYS]
)
async def test_foreign_key_rejects_missing_parent(
    db_session, factory, model, attribute, constraint
):
    overrides: dict[str, Any] = {attribute: uuid7()}
    if model is HealthRecord and attribute == "amends_id":
        overrides["record_type"] = HealthRecordType.ADDENDUM
    if model is Message and attribute == "sender_id":
        overrides["message_type"] = MessageType.TEXT
    await _expect_violation(db_session, factory, model, constraint, overrides)


def test_every_foreign_key_has_a_deliberate_on_delete():
    for _, _, name in FOREIGN_KEYS:
        constraint = next(
            c for m in Base.registry.mappers for c in m.local_table.constraints if c.name == name
        )
        assert constraint.ondelete in {"CASCADE", "RESTRICT", "SET NULL"}, name


# --- what ON DELETE does -------------------------------------------------------------------


async def test_deleting_a_pet_cascades_to_its_weight_records(db_session, factory):
    record = await factory.create(WeightRecord)
    await db_session.execute(text("DELETE FROM pets WHERE id = :id"), {"id": record.pet_id})
    remaining = await db_session.execute(
        text("SELECT count(*) FROM weight_records WHERE id = :id"), {"id": record.id}
    )
    assert remaining.scalar_one() == 0


async def test_a_veterinarian_with_appointments_cannot_be_deleted(db_session, factory):
    appointment = await factory.create(Appointment)
    with pytest.raises(IntegrityError, match="fk_appointments_veterinarian_id_veterinarians"):
        async with db_session.begin_nested():
            await db_session.execute(
                text("DELETE FROM veterinarians WHERE id = :id"),
                {"id": appointment.veterinarian_id},
            )


async def test_a_veterinarian_who_signed_history_cannot_be_deleted(db_session, factory):
    vet = await factory.create(Veterinarian)
    await factory.create(Prescription, prescribed_by_id=vet.id)
    with pytest.raises(IntegrityError, match="fk_prescriptions_prescribed_by_id_veterinarians"):
        async with db_session.begin_nested():
            await db_session.execute(
                text("DELETE FROM veterinarians WHERE id = :id"), {"id": vet.id}
            )


async def test_deleting_a_user_clears_optional_links(db_session, factory):
    user = await factory.create(User)
    record = await factory.create(WeightRecord, recorded_by_id=user.id)
    await db_session.execute(text("DELETE FROM users WHERE id = :id"), {"id": user.id})
    recorded_by = await db_session.execute(
        select(WeightRecord.recorded_by_id)
        .where(WeightRecord.id == record.id)
        .execution_options(populate_existing=True)
    )
    assert recorded_by.scalar_one() is None


async def test_an_appointment_id_is_kept_unique_per_idempotency_key_only_when_set(factory):
    first = await factory.create(Appointment, idempotency_key=None)
    second = await factory.create(Appointment, idempotency_key=None)
    assert first.id != second.id


async def test_email_uniqueness_ignores_soft_deleted_accounts(db_session, factory):
    gone = await factory.create(User, email="reused@example.com")
    gone.soft_delete()
    await db_session.flush()
    again = await factory.create(User, email="Reused@Example.com")
    assert again.id != gone.id
