"""Every enumeration of the domain, as ``StrEnum`` with lowercase values.

The values are what the database stores (see :func:`vet_core.models.base.enum_column_type`);
changing a value is a data migration, adding one changes the CHECK constraints (a migration).
"""

from __future__ import annotations

from enum import StrEnum


class UserRole(StrEnum):
    PET_OWNER = "pet_owner"
    VETERINARIAN = "veterinarian"
    VET_TECH = "vet_tech"
    RECEPTIONIST = "receptionist"
    CLINIC_ADMIN = "clinic_admin"
    PLATFORM_ADMIN = "platform_admin"


class UserStatus(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DEACTIVATED = "deactivated"


class ClinicType(StrEnum):
    GENERAL_PRACTICE = "general_practice"
    SPECIALTY = "specialty"
    EMERGENCY = "emergency"
    MOBILE = "mobile"
    TEACHING_HOSPITAL = "teaching_hospital"
    SHELTER = "shelter"


class ClinicStatus(StrEnum):
    PENDING_VERIFICATION = "pending_verification"
    ACTIVE = "active"
    INACTIVE = "inactive"


class StaffRole(StrEnum):
    """A user's role *within one clinic* (a membership)."""

    VETERINARIAN = "veterinarian"
    VET_TECH = "vet_tech"
    RECEPTIONIST = "receptionist"
    CLINIC_ADMIN = "clinic_admin"


class MembershipStatus(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ENDED = "ended"


class Species(StrEnum):
    DOG = "dog"
    CAT = "cat"
    BIRD = "bird"
    RABBIT = "rabbit"
    RODENT = "rodent"
    FERRET = "ferret"
    REPTILE = "reptile"
    FISH = "fish"
    HORSE = "horse"
    OTHER = "other"


class PetSex(StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


class PetSizeCategory(StrEnum):
    TOY = "toy"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"
    GIANT = "giant"


class PetStatus(StrEnum):
    ACTIVE = "active"
    LOST = "lost"
    REHOMED = "rehomed"
    DECEASED = "deceased"


class OwnershipRole(StrEnum):
    PRIMARY = "primary"
    CO_OWNER = "co_owner"


class OwnershipEndReason(StrEnum):
    TRANSFERRED = "transferred"
    REMOVED = "removed"
    PET_DECEASED = "pet_deceased"


class HealthRecordType(StrEnum):
    EXAMINATION = "examination"
    VACCINATION = "vaccination"
    DIAGNOSIS = "diagnosis"
    TREATMENT = "treatment"
    SURGERY = "surgery"
    DENTAL = "dental"
    LAB_RESULT = "lab_result"
    IMAGING = "imaging"
    MEDICATION = "medication"
    ALLERGY = "allergy"
    NOTE = "note"
    ADDENDUM = "addendum"


class AppointmentStatus(StrEnum):
    REQUESTED = "requested"
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


#: Statuses that occupy the veterinarian's time (the exclusion constraint's predicate).
ACTIVE_APPOINTMENT_STATUSES: tuple[AppointmentStatus, ...] = (
    AppointmentStatus.REQUESTED,
    AppointmentStatus.SCHEDULED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.IN_PROGRESS,
)


class AppointmentPriority(StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class ServiceType(StrEnum):
    WELLNESS_EXAM = "wellness_exam"
    VACCINATION = "vaccination"
    SICK_VISIT = "sick_visit"
    FOLLOW_UP = "follow_up"
    DENTAL = "dental"
    SURGERY = "surgery"
    GROOMING = "grooming"
    EMERGENCY = "emergency"
    CONSULTATION = "consultation"
    TELEMEDICINE = "telemedicine"


class HoldStatus(StrEnum):
    ACTIVE = "active"
    CONVERTED = "converted"
    RELEASED = "released"
    EXPIRED = "expired"


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    BOOKED = "booked"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class ReminderKind(StrEnum):
    VACCINATION = "vaccination"
    MEDICATION = "medication"
    CHECKUP = "checkup"
    APPOINTMENT = "appointment"
    GROOMING = "grooming"
    CUSTOM = "custom"


class ReminderStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    COMPLETED = "completed"
    DISMISSED = "dismissed"
    CANCELLED = "cancelled"


class Recurrence(StrEnum):
    NONE = "none"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    YEARLY = "yearly"


class NotificationChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    IN_APP = "in_app"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    SKIPPED = "skipped"


class NotificationCategory(StrEnum):
    APPOINTMENT = "appointment"
    REMINDER = "reminder"
    MESSAGE = "message"
    REVIEW = "review"
    BILLING = "billing"
    SYSTEM = "system"


class ConversationType(StrEnum):
    DIRECT = "direct"
    CLINIC_SUPPORT = "clinic_support"
    GROUP = "group"
    CHATBOT = "chatbot"


class ParticipantRole(StrEnum):
    MEMBER = "member"
    STAFF = "staff"
    ADMIN = "admin"


class MessageType(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    FILE = "file"
    SYSTEM = "system"
    BOT = "bot"


class ReviewStatus(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    HIDDEN = "hidden"


class ProductType(StrEnum):
    MEDICATION = "medication"
    FOOD = "food"
    SUPPLY = "supply"
    SERVICE = "service"
    OTHER = "other"


class OrderStatus(StrEnum):
    DRAFT = "draft"
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    RESTORE = "restore"
    VIEW = "view"
    EXPORT = "export"
    LOGIN = "login"


class ActorType(StrEnum):
    USER = "user"
    API_KEY = "api_key"
    SYSTEM = "system"


class FileStatus(StrEnum):
    PENDING = "pending"
    AVAILABLE = "available"
    QUARANTINED = "quarantined"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    FAILED = "failed"


__all__ = [
    "ACTIVE_APPOINTMENT_STATUSES",
    "ActorType",
    "AppointmentPriority",
    "AppointmentStatus",
    "AuditAction",
    "ClinicStatus",
    "ClinicType",
    "ConversationType",
    "DeliveryStatus",
    "FileStatus",
    "HealthRecordType",
    "HoldStatus",
    "InvoiceStatus",
    "MembershipStatus",
    "MessageType",
    "NotificationCategory",
    "NotificationChannel",
    "OrderStatus",
    "OutboxStatus",
    "OwnershipEndReason",
    "OwnershipRole",
    "ParticipantRole",
    "PaymentStatus",
    "PetSex",
    "PetSizeCategory",
    "PetStatus",
    "ProductType",
    "Recurrence",
    "RefundStatus",
    "ReminderKind",
    "ReminderStatus",
    "ReviewStatus",
    "ServiceType",
    "Species",
    "StaffRole",
    "UserRole",
    "UserStatus",
    "WaitlistStatus",
]
