"""Properties every schema module shares: field names mirror the models, empty updates fail."""

from __future__ import annotations

import importlib
import inspect

import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import inspect as sa_inspect

from vet_core.models import (
    audit,
    clinical,
    clinics,
    commerce,
    files,
    identity,
    messaging,
    notifications,
    pets,
    reviews,
    scheduling,
    veterinarians,
)
from vet_core.schemas.base import UpdateSchema

DOMAINS = [
    "identity",
    "clinics",
    "veterinarians",
    "pets",
    "clinical",
    "scheduling",
    "notifications",
    "messaging",
    "reviews",
    "commerce",
    "audit",
    "files",
]
MODEL_MODULES = [
    audit,
    clinical,
    clinics,
    commerce,
    files,
    identity,
    messaging,
    notifications,
    pets,
    reviews,
    scheduling,
    veterinarians,
]

#: Response schema → the model it reads from.
RESPONSES = {
    "UserResponse": "User",
    "UserStaffResponse": "User",
    "ApiKeyResponse": "ApiKey",
    "ClinicResponse": "Clinic",
    "ClinicOperatingHoursResponse": "ClinicOperatingHours",
    "ClinicClosureResponse": "ClinicClosure",
    "ClinicMembershipResponse": "ClinicMembership",
    "VeterinarianResponse": "Veterinarian",
    "VeterinarianAvailabilityResponse": "VeterinarianAvailability",
    "VeterinarianTimeOffResponse": "VeterinarianTimeOff",
    "PetResponse": "Pet",
    "PetOwnershipResponse": "PetOwnership",
    "WeightRecordResponse": "WeightRecord",
    "HealthRecordResponse": "HealthRecord",
    "VaccinationResponse": "Vaccination",
    "PrescriptionResponse": "Prescription",
    "AppointmentResponse": "Appointment",
    "AppointmentStaffResponse": "Appointment",
    "AppointmentHoldResponse": "AppointmentHold",
    "WaitlistEntryResponse": "WaitlistEntry",
    "ReminderResponse": "Reminder",
    "NotificationResponse": "Notification",
    "NotificationDeliveryResponse": "NotificationDelivery",
    "ConversationResponse": "Conversation",
    "ConversationParticipantResponse": "ConversationParticipant",
    "MessageResponse": "Message",
    "MessageReactionResponse": "MessageReaction",
    "ChatBotResponse": "ChatBot",
    "ClinicReviewResponse": "ClinicReview",
    "ClinicReviewModeratorResponse": "ClinicReview",
    "VeterinarianReviewResponse": "VeterinarianReview",
    "VeterinarianReviewModeratorResponse": "VeterinarianReview",
    "ReviewReportResponse": "ReviewReport",
    "CartResponse": "Cart",
    "CartItemResponse": "CartItem",
    "ProductResponse": "Product",
    "OrderResponse": "Order",
    "OrderItemResponse": "OrderItem",
    "PaymentResponse": "Payment",
    "PaymentStaffResponse": "Payment",
    "RefundResponse": "Refund",
    "InvoiceResponse": "Invoice",
    "AuditLogResponse": "AuditLog",
    "FileObjectResponse": "FileObject",
}
#: Create/Update schema → the model whose columns it writes, and its fields that are not columns.
WRITES = {
    "UserCreate": ("User", set()),
    "UserAdminUpdate": ("User", set()),
    "ApiKeyCreate": ("ApiKey", set()),
    "ClinicCreate": ("Clinic", set()),
    "ClinicUpdate": ("Clinic", set()),
    "ClinicOperatingHoursCreate": ("ClinicOperatingHours", set()),
    "ClinicOperatingHoursUpdate": ("ClinicOperatingHours", set()),
    "ClinicClosureCreate": ("ClinicClosure", set()),
    "ClinicClosureUpdate": ("ClinicClosure", set()),
    "ClinicMembershipCreate": ("ClinicMembership", set()),
    "ClinicMembershipUpdate": ("ClinicMembership", set()),
    "VeterinarianCreate": ("Veterinarian", set()),
    "VeterinarianUpdate": ("Veterinarian", set()),
    "VeterinarianAvailabilityCreate": ("VeterinarianAvailability", set()),
    "VeterinarianTimeOffCreate": ("VeterinarianTimeOff", set()),
    "PetCreate": ("Pet", set()),
    "PetUpdate": ("Pet", set()),
    "PetOwnershipCreate": ("PetOwnership", set()),
    "PetOwnershipUpdate": ("PetOwnership", set()),
    "WeightRecordCreate": ("WeightRecord", set()),
    "HealthRecordCreate": ("HealthRecord", set()),
    "HealthRecordUpdate": ("HealthRecord", set()),
    "VaccinationCreate": ("Vaccination", set()),
    "PrescriptionCreate": ("Prescription", set()),
    "PrescriptionUpdate": ("Prescription", set()),
    "AppointmentCreate": ("Appointment", set()),
    "AppointmentHoldBook": ("Appointment", set()),
    "AppointmentStaffUpdate": ("Appointment", set()),
    "AppointmentStatusChange": ("Appointment", set()),
    "AppointmentHoldCreate": ("AppointmentHold", {"service_type"}),
    "WaitlistEntryCreate": ("WaitlistEntry", set()),
    "WaitlistEntryUpdate": ("WaitlistEntry", set()),
    "ReminderCreate": ("Reminder", set()),
    "ReminderUpdate": ("Reminder", set()),
    "NotificationCreate": ("Notification", set()),
    "ConversationCreate": ("Conversation", {"participant_ids"}),
    "ConversationParticipantUpdate": ("ConversationParticipant", set()),
    "MessageCreate": ("Message", set()),
    "MessageReactionCreate": ("MessageReaction", set()),
    "ChatBotCreate": ("ChatBot", set()),
    "ChatBotUpdate": ("ChatBot", set()),
    "ClinicReviewCreate": ("ClinicReview", set()),
    "ClinicReviewModeration": ("ClinicReview", set()),
    "VeterinarianReviewCreate": ("VeterinarianReview", set()),
    "ReviewModerationCreate": ("ClinicReview", {"action", "reason"}),
    "ReviewReportCreate": ("ReviewReport", set()),
    "ProductCreate": ("Product", set()),
    "ProductUpdate": ("Product", set()),
    "OrderCreate": ("Order", {"items"}),
    "OrderItemCreate": ("OrderItem", set()),
    "CartItemQuantity": ("CartItem", set()),
    "CartCheckout": ("Order", {"pet_id"}),
    "RefundCreate": ("Refund", set()),
    "InvoiceCreate": ("Invoice", set()),
    "InvoiceUpdate": ("Invoice", set()),
    "AuditLogCreate": ("AuditLog", set()),
    "FileObjectCreate": ("FileObject", set()),
    "FileObjectUpdate": ("FileObject", set()),
}
#: Fields a response adds that are not columns (relationships assembled by the service).
NOT_COLUMNS = {
    "OrderResponse": {"items"},
    # A cart is priced from the catalogue when it is read.
    "CartResponse": {"currency", "items", "item_count", "subtotal_amount"},
    "CartItemResponse": {"name", "unit_amount", "currency", "total_amount", "available"},
}


def _schema_classes() -> dict[str, type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for domain in DOMAINS:
        module = importlib.import_module(f"vet_core.schemas.{domain}")
        for name, value in vars(module).items():
            is_schema = inspect.isclass(value) and issubclass(value, BaseModel)
            if is_schema and value.__module__ == module.__name__:
                found[name] = value
    return found


SCHEMAS = _schema_classes()
MODELS = {
    name: value
    for module in MODEL_MODULES
    for name, value in vars(module).items()
    if inspect.isclass(value) and hasattr(value, "__table__")
}
UPDATES = sorted(name for name, cls in SCHEMAS.items() if issubclass(cls, UpdateSchema))


def test_every_domain_has_create_update_and_response() -> None:
    for domain in DOMAINS:
        module = importlib.import_module(f"vet_core.schemas.{domain}")
        names = set(vars(module))
        kinds = {
            suffix
            for suffix in ("Create", "Update", "Response")
            if any(n.endswith(suffix) for n in names)
        }
        expected = {"Create", "Response"} if domain == "audit" else {"Create", "Update", "Response"}
        assert kinds >= expected, domain


@pytest.mark.parametrize(("schema", "model"), sorted(RESPONSES.items()))
def test_response_fields_are_model_columns(schema: str, model: str) -> None:
    columns = {attr.key for attr in sa_inspect(MODELS[model]).column_attrs}
    fields = set(SCHEMAS[schema].model_fields) - NOT_COLUMNS.get(schema, set())
    assert fields - columns == set()


@pytest.mark.parametrize(("schema", "target"), sorted(WRITES.items()))
def test_input_fields_are_model_columns(schema: str, target: tuple[str, set[str]]) -> None:
    model, extras = target
    columns = {attr.key for attr in sa_inspect(MODELS[model]).column_attrs}
    assert set(SCHEMAS[schema].model_fields) - extras - columns == set()


def test_every_response_schema_is_checked() -> None:
    responses = {name for name in SCHEMAS if name.endswith("Response") and not name.startswith("_")}
    assert responses - set(RESPONSES) == set()


@pytest.mark.parametrize("name", UPDATES)
def test_every_update_rejects_empty(name: str) -> None:
    with pytest.raises(ValidationError, match="an update must set at least one field"):
        SCHEMAS[name].model_validate({})


@pytest.mark.parametrize("name", UPDATES)
def test_update_nullable_fields_exist(name: str) -> None:
    cls = SCHEMAS[name]
    assert issubclass(cls, UpdateSchema)
    assert set(cls.model_fields) >= cls.NULLABLE_FIELDS
