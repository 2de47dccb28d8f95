"""SQLAlchemy models. Importing this package registers every table on ``Base.metadata``."""

from vet_core.models import enums
from vet_core.models.audit import AuditLog
from vet_core.models.base import (
    NAMING_CONVENTION,
    AuditMixin,
    Base,
    SoftDeleteMixin,
    TimestampMixin,
    UUIDPrimaryKeyMixin,
    select_active,
    uuid7,
)
from vet_core.models.clinical import HealthRecord, Prescription, Vaccination
from vet_core.models.clinics import (
    Clinic,
    ClinicClosure,
    ClinicMembership,
    ClinicOperatingHours,
)
from vet_core.models.commerce import (
    Cart,
    CartItem,
    Invoice,
    Order,
    OrderItem,
    Payment,
    ProcessedWebhookEvent,
    Product,
    Refund,
)
from vet_core.models.files import FileObject
from vet_core.models.identity import ApiKey, User
from vet_core.models.messaging import (
    ChatBot,
    Conversation,
    ConversationParticipant,
    Message,
    MessageReaction,
)
from vet_core.models.notifications import Notification, NotificationDelivery, Reminder
from vet_core.models.outbox import DeadLetterJob, OutboxEvent
from vet_core.models.pets import Pet, PetOwnership, WeightRecord
from vet_core.models.reviews import ClinicReview, ReviewReport, VeterinarianReview
from vet_core.models.scheduling import Appointment, AppointmentHold, WaitlistEntry
from vet_core.models.veterinarians import (
    Veterinarian,
    VeterinarianAvailability,
    VeterinarianTimeOff,
)

__all__ = [
    "NAMING_CONVENTION",
    "ApiKey",
    "Appointment",
    "AppointmentHold",
    "AuditLog",
    "AuditMixin",
    "Base",
    "Cart",
    "CartItem",
    "ChatBot",
    "Clinic",
    "ClinicClosure",
    "ClinicMembership",
    "ClinicOperatingHours",
    "ClinicReview",
    "Conversation",
    "ConversationParticipant",
    "DeadLetterJob",
    "FileObject",
    "HealthRecord",
    "Invoice",
    "Message",
    "MessageReaction",
    "Notification",
    "NotificationDelivery",
    "Order",
    "OrderItem",
    "OutboxEvent",
    "Payment",
    "Pet",
    "PetOwnership",
    "Prescription",
    "ProcessedWebhookEvent",
    "Product",
    "Refund",
    "Reminder",
    "ReviewReport",
    "SoftDeleteMixin",
    "TimestampMixin",
    "UUIDPrimaryKeyMixin",
    "User",
    "Vaccination",
    "Veterinarian",
    "VeterinarianAvailability",
    "VeterinarianReview",
    "VeterinarianTimeOff",
    "WaitlistEntry",
    "WeightRecord",
    "enums",
    "select_active",
    "uuid7",
]
