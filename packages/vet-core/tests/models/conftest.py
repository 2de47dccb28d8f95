"""Fixtures for the model tests: a factory that builds a valid row of every table.

``await factory.create(Model, **overrides)`` inserts (flushes) one valid row and returns it.
Parents a row needs (a pet's owner, an appointment's veterinarian, …) are created on the fly
unless their id is passed in ``overrides``; each factory keeps the row consistent with the
overrides it is given (a ``cancelled`` appointment gets a ``cancelled_at``, and so on), so the
tests can set any single column and expect only that column to matter.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import (
    Appointment,
    Base,
    Cart,
    Clinic,
    ClinicReview,
    Conversation,
    HealthRecord,
    Message,
    Order,
    Payment,
    Pet,
    Product,
    User,
    Veterinarian,
)
from vet_core.models.enums import (
    AppointmentStatus,
    ClinicType,
    ConversationType,
    HealthRecordType,
    InvoiceStatus,
    MessageType,
    NotificationCategory,
    NotificationChannel,
    OutboxStatus,
    PetStatus,
    ProductType,
    ReminderKind,
    ServiceType,
    StaffRole,
)

_sequence = itertools.count(1)

#: A fixed future Monday 09:00 UTC; appointments are laid out from here.
BASE_TIME = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


def unique(prefix: str) -> str:
    """A value unique within the test run (and across runs, thanks to the random part)."""
    return f"{prefix}{next(_sequence)}{uuid.uuid4().hex[:8]}"


class Factory:
    """Builds valid rows of every model in one session (see the module docstring)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, model: type[Base], **overrides: Any) -> Any:
        builder = getattr(self, f"_{model.__tablename__}")
        values = await builder(overrides)
        values.update(overrides)
        row = model(**values)
        self.session.add(row)
        await self.session.flush()
        return row

    async def _parent(self, overrides: dict[str, Any], key: str, model: type[Base]) -> Any:
        """``overrides[key]`` if given, else the id of a freshly created ``model`` row."""
        if key in overrides:
            return overrides[key]
        return (await self.create(model)).id

    # --- identity -----------------------------------------------------------------------------

    async def _users(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "clerk_user_id": unique("user_"),
            "email": f"{unique('owner')}@example.com",
            "first_name": "Ada",
            "last_name": unique("Lovelace"),
        }

    async def _api_keys(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "clinic_id": await self._parent(o, "clinic_id", Clinic),
            "name": "front desk",
            "prefix": unique("vk_")[:16],
            "key_hash": uuid.uuid4().hex * 2,
        }

    # --- clinics ------------------------------------------------------------------------------

    async def _clinics(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": "Riverside Animal Hospital",
            "slug": unique("riverside-"),
            "clinic_type": ClinicType.GENERAL_PRACTICE,
            "address_line1": "1 River Road",
            "city": "Springfield",
            "country_code": "US",
            "timezone": "America/New_York",
            "latitude": 40.7128,
            "longitude": -74.006,
            "services": ["vaccination", "dental"],
        }

    async def _clinic_operating_hours(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "clinic_id": await self._parent(o, "clinic_id", Clinic),
            "weekday": 1,
            "opens_at": time(8),
            "closes_at": time(18),
        }

    async def _clinic_closures(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "clinic_id": await self._parent(o, "clinic_id", Clinic),
            "starts_on": date(2031, 12, 25),
            "ends_on": date(2031, 12, 26),
            "reason": "Holidays",
        }

    async def _clinic_memberships(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "clinic_id": await self._parent(o, "clinic_id", Clinic),
            "user_id": await self._parent(o, "user_id", User),
            "role": StaffRole.RECEPTIONIST,
        }

    # --- veterinarians ------------------------------------------------------------------------

    async def _veterinarians(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "user_id": await self._parent(o, "user_id", User),
            "license_number": unique("LIC-"),
            "license_state": "NY",
            "species_expertise": ["dog", "cat"],
        }

    async def _veterinarian_availabilities(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "veterinarian_id": await self._parent(o, "veterinarian_id", Veterinarian),
            "clinic_id": await self._parent(o, "clinic_id", Clinic),
            "weekday": 2,
            "starts_at_local": time(9),
            "ends_at_local": time(17),
        }

    async def _veterinarian_time_off(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "veterinarian_id": await self._parent(o, "veterinarian_id", Veterinarian),
            "starts_at": BASE_TIME,
            "ends_at": BASE_TIME + timedelta(days=5),
        }

    # --- pets ---------------------------------------------------------------------------------

    async def _pets(self, o: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {
            "owner_id": await self._parent(o, "owner_id", User),
            "name": "Rex",
            "species": "dog",
            "birth_date": date(2020, 5, 17),
        }
        if o.get("status") == PetStatus.DECEASED and "deceased_on" not in o:
            values["deceased_on"] = date(2030, 1, 1)
        return values

    async def _pet_ownerships(self, o: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {
            "pet_id": await self._parent(o, "pet_id", Pet),
            "user_id": await self._parent(o, "user_id", User),
        }
        if o.get("end_reason") is not None and "ended_at" not in o:
            values["ended_at"] = BASE_TIME
        return values

    async def _weight_records(self, o: dict[str, Any]) -> dict[str, Any]:
        return {"pet_id": await self._parent(o, "pet_id", Pet), "weight_kg": Decimal("12.5")}

    # --- clinical -----------------------------------------------------------------------------

    async def _health_records(self, o: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {
            "pet_id": await self._parent(o, "pet_id", Pet),
            "record_type": HealthRecordType.EXAMINATION,
            "title": "Annual check-up",
        }
        if o.get("record_type") == HealthRecordType.ADDENDUM and "amends_id" not in o:
            values["amends_id"] = (await self.create(HealthRecord, pet_id=values["pet_id"])).id
        return values

    async def _vaccinations(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "pet_id": await self._parent(o, "pet_id", Pet),
            "vaccine_name": "Rabies",
            "administered_at": BASE_TIME,
            "next_due_on": date(2032, 3, 3),
        }

    async def _prescriptions(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "pet_id": await self._parent(o, "pet_id", Pet),
            "prescribed_by_id": await self._parent(o, "prescribed_by_id", Veterinarian),
            "medication_name": "Carprofen",
            "dosage": "25 mg",
            "frequency": "twice daily",
            "refills_allowed": 2,
        }

    # --- scheduling ---------------------------------------------------------------------------

    async def _appointments(self, o: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {
            "pet_id": await self._parent(o, "pet_id", Pet),
            "booked_by_id": await self._parent(o, "booked_by_id", User),
            "veterinarian_id": await self._parent(o, "veterinarian_id", Veterinarian),
            "clinic_id": await self._parent(o, "clinic_id", Clinic),
            "service_type": ServiceType.WELLNESS_EXAM,
            "starts_at": BASE_TIME,
            "ends_at": BASE_TIME + timedelta(minutes=30),
            "price": Decimal("75.00"),
        }
        status = o.get("status")
        if status == AppointmentStatus.CANCELLED and "cancelled_at" not in o:
            values["cancelled_at"] = BASE_TIME - timedelta(days=1)
        if status == AppointmentStatus.COMPLETED and "completed_at" not in o:
            values["completed_at"] = BASE_TIME + timedelta(minutes=30)
        return values

    async def _appointment_holds(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "veterinarian_id": await self._parent(o, "veterinarian_id", Veterinarian),
            "clinic_id": await self._parent(o, "clinic_id", Clinic),
            "held_by_id": await self._parent(o, "held_by_id", User),
            "starts_at": BASE_TIME,
            "ends_at": BASE_TIME + timedelta(minutes=30),
            "expires_at": datetime.now(UTC) + timedelta(minutes=10),
        }

    async def _waitlist_entries(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "clinic_id": await self._parent(o, "clinic_id", Clinic),
            "pet_id": await self._parent(o, "pet_id", Pet),
            "requested_by_id": await self._parent(o, "requested_by_id", User),
            "service_type": ServiceType.DENTAL,
        }

    # --- notifications ------------------------------------------------------------------------

    async def _reminders(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "pet_id": await self._parent(o, "pet_id", Pet),
            "kind": ReminderKind.VACCINATION,
            "title": "Rabies booster",
            "due_at": BASE_TIME,
        }

    async def _notifications(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "user_id": await self._parent(o, "user_id", User),
            "category": NotificationCategory.SYSTEM,
            "title": "Welcome",
        }

    async def _notification_deliveries(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "user_id": await self._parent(o, "user_id", User),
            "channel": NotificationChannel.EMAIL,
            "dedup_key": unique("reminder:email:"),
            "template": "reminder_due",
        }

    # --- messaging ----------------------------------------------------------------------------

    async def _conversations(self, o: dict[str, Any]) -> dict[str, Any]:
        return {"conversation_type": ConversationType.DIRECT, "subject": "Rex's diet"}

    async def _messages(self, o: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {
            "conversation_id": await self._parent(o, "conversation_id", Conversation),
            "message_type": MessageType.TEXT,
            "body": "Hello!",
        }
        if o.get("message_type") not in (MessageType.SYSTEM, MessageType.BOT):
            values["sender_id"] = await self._parent(o, "sender_id", User)
        return values

    async def _conversation_participants(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "conversation_id": await self._parent(o, "conversation_id", Conversation),
            "user_id": await self._parent(o, "user_id", User),
        }

    async def _message_reactions(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "message_id": await self._parent(o, "message_id", Message),
            "user_id": await self._parent(o, "user_id", User),
            "emoji": "👍",
        }

    async def _chat_bots(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "clinic_id": await self._parent(o, "clinic_id", Clinic),
            "name": "Clinic assistant",
            "model": "assistant-small",
        }

    # --- reviews ------------------------------------------------------------------------------

    async def _clinic_reviews(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "clinic_id": await self._parent(o, "clinic_id", Clinic),
            "author_id": await self._parent(o, "author_id", User),
            "appointment_id": await self._parent(o, "appointment_id", Appointment),
            "rating": 5,
        }

    async def _veterinarian_reviews(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "veterinarian_id": await self._parent(o, "veterinarian_id", Veterinarian),
            "author_id": await self._parent(o, "author_id", User),
            "appointment_id": await self._parent(o, "appointment_id", Appointment),
            "rating": 4,
        }

    async def _review_reports(self, o: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {
            "reporter_id": await self._parent(o, "reporter_id", User),
            "reason": "Off-topic advertising",
        }
        if "veterinarian_review_id" in o:
            values["veterinarian_review_id"] = o["veterinarian_review_id"]
        else:
            values["clinic_review_id"] = await self._parent(o, "clinic_review_id", ClinicReview)
        return values

    # --- commerce -----------------------------------------------------------------------------

    async def _products(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "sku": unique("SKU-"),
            "name": "Chew toy",
            "product_type": ProductType.SUPPLY,
            "unit_amount": 1299,
            "currency": "USD",
        }

    async def _carts(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "user_id": await self._parent(o, "user_id", User),
            "clinic_id": await self._parent(o, "clinic_id", Clinic),
        }

    async def _cart_items(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "cart_id": await self._parent(o, "cart_id", Cart),
            "product_id": await self._parent(o, "product_id", Product),
            "quantity": 2,
        }

    async def _orders(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "user_id": await self._parent(o, "user_id", User),
            "clinic_id": await self._parent(o, "clinic_id", Clinic),
            "currency": "USD",
            "subtotal_amount": 2598,
            "tax_amount": 208,
            "total_amount": 2806,
        }

    async def _order_items(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "order_id": await self._parent(o, "order_id", Order),
            "name": "Chew toy",
            "unit_amount": 1299,
            "quantity": 2,
            "total_amount": 2598,
        }

    async def _payments(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "user_id": await self._parent(o, "user_id", User),
            "amount": 2806,
            "currency": "USD",
            "stripe_payment_intent_id": unique("pi_"),
        }

    async def _refunds(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "payment_id": await self._parent(o, "payment_id", Payment),
            "amount": 500,
            "currency": "USD",
            "stripe_refund_id": unique("re_"),
        }

    async def _invoices(self, o: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {
            "number": unique("INV-")[:32],
            "user_id": await self._parent(o, "user_id", User),
            "clinic_id": await self._parent(o, "clinic_id", Clinic),
            "currency": "USD",
            "amount_due": 2806,
        }
        if o.get("status") == InvoiceStatus.PAID and "paid_at" not in o:
            values["paid_at"] = BASE_TIME
        return values

    async def _processed_webhook_events(self, o: dict[str, Any]) -> dict[str, Any]:
        return {"provider": "stripe", "event_id": unique("evt_"), "event_type": "charge.succeeded"}

    # --- audit, files, outbox -----------------------------------------------------------------

    async def _audit_logs(self, o: dict[str, Any]) -> dict[str, Any]:
        return {"action": "create", "entity_type": "pet", "entity_id": uuid.uuid4()}

    async def _files(self, o: dict[str, Any]) -> dict[str, Any]:
        return {
            "storage_key": unique("uploads/"),
            "bucket": "vet-files",
            "filename": "xray.png",
            "content_type": "image/png",
            "size_bytes": 2048,
            "checksum_sha256": "ab" * 32,
        }

    async def _outbox_events(self, o: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {"topic": "appointments.reminder", "payload": {"id": 1}}
        if o.get("status") == OutboxStatus.PUBLISHED and "published_at" not in o:
            values["published_at"] = BASE_TIME
        return values


@pytest_asyncio.fixture(loop_scope="session")
async def factory(db_session: AsyncSession) -> Factory:
    """A :class:`Factory` on the rolled-back test session."""
    return Factory(db_session)


@pytest_asyncio.fixture(loop_scope="session")
async def factory_class() -> type[Factory]:
    """The :class:`Factory` class, for tests that build rows on sessions of their own."""
    return Factory
