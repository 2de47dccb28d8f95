"""Health records, vaccinations, prescriptions, reminders, notifications and messaging."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from vet_core.models.enums import HealthRecordType, MessageType, Recurrence
from vet_core.models.messaging import Message
from vet_core.schemas.clinical import (
    HealthRecordCreate,
    PrescriptionCreate,
    PrescriptionUpdate,
    VaccinationCreate,
)
from vet_core.schemas.messaging import (
    ConversationCreate,
    MessageCreate,
    MessageReactionCreate,
    MessageResponse,
)
from vet_core.schemas.notifications import NotificationUpdate, ReminderCreate

ErrorsOf = Callable[[type[BaseModel], dict[str, Any]], dict[str, str]]

PET = str(uuid.uuid4())
FILE = {"file_id": str(uuid.uuid4()), "name": "xray.png", "content_type": "image/png"}


def test_health_record_addendum_rule(errors_of: ErrorsOf) -> None:
    base = {"pet_id": PET, "title": "Follow-up", "occurred_at": "2025-01-01T10:00Z"}
    assert errors_of(HealthRecordCreate, {**base, "record_type": "addendum"}) == {
        "": "Value error, an addendum must set amends_id to the record it amends"
    }
    assert errors_of(
        HealthRecordCreate, {**base, "record_type": "diagnosis", "amends_id": str(uuid.uuid4())}
    ) == {"": "Value error, amends_id is only for records of type addendum"}
    record = HealthRecordCreate.model_validate(
        {**base, "record_type": "addendum", "amends_id": str(uuid.uuid4()), "attachments": [FILE]}
    )
    assert record.record_type is HealthRecordType.ADDENDUM
    assert record.attachments[0].content_type == "image/png"
    bad_attachment = {**FILE, "content_type": "png"}
    errors = errors_of(
        HealthRecordCreate, {**base, "record_type": "note", "attachments": [bad_attachment]}
    )
    assert "attachments.0.content_type" in errors
    assert "occurred_at" in errors_of(
        HealthRecordCreate, {**base, "record_type": "note", "occurred_at": "2025-01-01T10:00"}
    )


def test_vaccination_due_date(errors_of: ErrorsOf) -> None:
    data = {"pet_id": PET, "vaccine_name": "Rabies", "administered_at": "2025-06-01T10:00Z"}
    assert VaccinationCreate.model_validate({**data, "next_due_on": "2026-06-01"}).next_due_on
    assert errors_of(VaccinationCreate, {**data, "next_due_on": "2025-05-01"}) == {
        "": "Value error, next_due_on must not be before the vaccine was administered"
    }


def test_prescription_rules(errors_of: ErrorsOf) -> None:
    data = {"pet_id": PET, "medication_name": "Amoxicillin", "dosage": "250 mg", "frequency": "BID"}
    assert PrescriptionCreate.model_validate(data).refills_allowed == 0
    assert "greater than 0" in errors_of(PrescriptionCreate, {**data, "quantity": "0"})["quantity"]
    assert (
        "greater than or equal to 0"
        in errors_of(PrescriptionCreate, {**data, "refills_allowed": -1})["refills_allowed"]
    )
    assert errors_of(PrescriptionUpdate, {"refills_used": 3, "refills_allowed": 2}) == {
        "": "Value error, refills_used must not exceed refills_allowed"
    }


def test_reminder_rules(errors_of: ErrorsOf) -> None:
    data = {
        "pet_id": PET,
        "kind": "vaccination",
        "title": "Rabies booster",
        "due_at": "2026-06-01T09:00Z",
    }
    assert ReminderCreate.model_validate(data).recurrence is Recurrence.NONE
    assert errors_of(ReminderCreate, {**data, "recurrence_interval": 2}) == {
        "": "Value error, recurrence_interval needs a recurrence other than none"
    }
    assert ReminderCreate.model_validate({**data, "recurrence": "yearly", "recurrence_interval": 1})
    assert "due_at" in errors_of(ReminderCreate, {**data, "due_at": "2026-06-01T09:00"})
    assert NotificationUpdate.model_validate({"read_at": None}).changes() == {"read_at": None}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"conversation_type": "direct", "participant_ids": []}, "exactly one other participant"),
        ({"conversation_type": "clinic_support"}, "needs clinic_id"),
        (
            {"conversation_type": "group", "participant_ids": [PET, PET]},
            "must not contain duplicates",
        ),
    ],
)
def test_conversation_rules(data: dict[str, Any], message: str, errors_of: ErrorsOf) -> None:
    assert message in errors_of(ConversationCreate, data)[""]


def test_message_needs_body_or_attachment(errors_of: ErrorsOf) -> None:
    assert errors_of(MessageCreate, {"body": "   "}) == {
        "": "Value error, a message needs a body or at least one attachment"
    }
    assert MessageCreate(body="hello").message_type is MessageType.TEXT
    assert MessageCreate.model_validate({"attachments": [FILE]}).message_type is MessageType.IMAGE
    pdf = {**FILE, "content_type": "application/pdf"}
    assert MessageCreate.model_validate({"attachments": [pdf]}).message_type is MessageType.FILE
    assert "emoji" in errors_of(MessageReactionCreate, {"emoji": ""})
    assert "emoji" in errors_of(MessageReactionCreate, {"emoji": "x" * 33})


def test_message_response_from_model() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    row = Message(
        id=uuid.uuid4(),
        created_at=now,
        updated_at=now,
        conversation_id=uuid.uuid4(),
        sender_id=None,
        message_type=MessageType.BOT,
        body="Hi! How can I help?",
        attachments=[{**FILE, "size_bytes": 2048}],  # extra stored keys do not break reads
        reply_to_id=None,
        edited_at=None,
        deleted_at=None,
    )
    response = MessageResponse.model_validate(row)
    assert response.attachments[0].name == "xray.png"
    assert response.message_type is MessageType.BOT
