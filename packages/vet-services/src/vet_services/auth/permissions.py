"""Access control: the one place that decides who may do what to which record.

Roles grant permissions; *relations* scope them. A caller is related to a record as its
**owner** (an owner or co-owner of the pet, the person who booked), as **staff** of the record's
clinic (with their staff role at *that* clinic), or not at all. Platform admins see everything.

Two answers, on purpose different:

* not related at all, or not allowed even to read it → :class:`NotFoundException`: asking for
  another person's record is indistinguishable from asking for one that does not exist;
* related and allowed to read it, but the role may not perform this action →
  :class:`PermissionDeniedException` (HTTP 403).

Every service that reads or writes someone's data calls :func:`authorize`; list queries use
:func:`Actor.staff_clinic_ids` / :attr:`Actor.user_id` to scope what they select.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from vet_core.exceptions import NotFoundException, PermissionDeniedException
from vet_core.models.enums import StaffRole, UserRole


class Action(StrEnum):
    """Everything a caller can try to do to a record."""

    PET_READ = "pet:read"
    PET_WRITE = "pet:write"
    PET_DELETE = "pet:delete"
    PET_TRANSFER = "pet:transfer"
    CLINICAL_READ = "clinical:read"
    CLINICAL_WRITE = "clinical:write"
    PRESCRIPTION_WRITE = "prescription:write"
    APPOINTMENT_READ = "appointment:read"
    APPOINTMENT_BOOK = "appointment:book"
    APPOINTMENT_CANCEL = "appointment:cancel"
    APPOINTMENT_RESCHEDULE = "appointment:reschedule"
    APPOINTMENT_MANAGE = "appointment:manage"  # confirm, check in, start, complete, no-show
    APPOINTMENT_INTERNAL_NOTES = "appointment:internal_notes"
    SCHEDULE_READ = "schedule:read"  # day and week calendars with appointments
    SCHEDULE_MANAGE = "schedule:manage"  # availability rules, time off, closures
    CLINIC_MANAGE = "clinic:manage"
    STAFF_MANAGE = "staff:manage"
    REPORT_READ = "report:read"
    PAYMENT_READ = "payment:read"  # a clinic's payments, not only one's own
    PAYMENT_REFUND = "payment:refund"
    REVIEW_MODERATE = "review:moderate"  # hide, publish again, flag reviews of the clinic
    API_KEY_MANAGE = "api_key:manage"
    AUDIT_READ = "audit:read"


class Relation(StrEnum):
    """How a caller stands to a record."""

    OWNER = "owner"
    STAFF = "staff"
    NONE = "none"


_OWNER_ACTIONS = frozenset(
    {
        Action.PET_READ,
        Action.PET_WRITE,
        Action.PET_DELETE,
        Action.PET_TRANSFER,
        Action.CLINICAL_READ,
        Action.APPOINTMENT_READ,
        Action.APPOINTMENT_BOOK,
        Action.APPOINTMENT_CANCEL,
        Action.APPOINTMENT_RESCHEDULE,
    }
)

_FRONT_DESK = frozenset(
    {
        Action.PET_READ,
        Action.PET_WRITE,
        Action.APPOINTMENT_READ,
        Action.APPOINTMENT_BOOK,
        Action.APPOINTMENT_CANCEL,
        Action.APPOINTMENT_RESCHEDULE,
        Action.APPOINTMENT_MANAGE,
        Action.APPOINTMENT_INTERNAL_NOTES,
        Action.SCHEDULE_READ,
    }
)

_CLINICAL_TEAM = _FRONT_DESK | {Action.CLINICAL_READ, Action.CLINICAL_WRITE}

#: What each staff role may do to the records of its own clinic.
STAFF_ACTIONS: Mapping[StaffRole, frozenset[Action]] = {
    StaffRole.RECEPTIONIST: _FRONT_DESK,
    StaffRole.VET_TECH: _CLINICAL_TEAM,
    StaffRole.VETERINARIAN: _CLINICAL_TEAM | {Action.PRESCRIPTION_WRITE, Action.SCHEDULE_MANAGE},
    StaffRole.CLINIC_ADMIN: _FRONT_DESK
    | {
        Action.CLINICAL_READ,
        Action.SCHEDULE_MANAGE,
        Action.CLINIC_MANAGE,
        Action.STAFF_MANAGE,
        Action.REPORT_READ,
        Action.PAYMENT_READ,
        Action.PAYMENT_REFUND,
        Action.REVIEW_MODERATE,
        Action.API_KEY_MANAGE,
        Action.AUDIT_READ,
    },
}

#: What a clinic admin may put into an API key: never the power to make keys or staff.
API_KEY_GRANTABLE = frozenset(Action) - {
    Action.API_KEY_MANAGE,
    Action.STAFF_MANAGE,
    Action.CLINIC_MANAGE,
}

#: The actions that only reveal a record; a caller who may do none of them does not see it.
READ_ACTIONS = frozenset(
    {Action.PET_READ, Action.APPOINTMENT_READ, Action.CLINICAL_READ, Action.SCHEDULE_READ}
)


@dataclass(frozen=True, slots=True)
class Resource:
    """What access control needs to know of a record: who owns it and which clinic holds it.

    ``clinic_ids`` is a set because a pet is seen by every clinic that treats it (it has
    appointments there); an appointment or a clinical record belongs to one clinic.
    """

    kind: str
    id: uuid.UUID | None = None
    owner_ids: frozenset[uuid.UUID] = frozenset()
    clinic_ids: frozenset[uuid.UUID] = frozenset()

    @classmethod
    def of(
        cls,
        kind: str,
        id: uuid.UUID | None = None,
        *,
        owners: Iterable[uuid.UUID] = (),
        clinics: Iterable[uuid.UUID | None] = (),
    ) -> Resource:
        """Build a resource, ignoring ``None`` clinic ids (records not tied to a clinic)."""
        return cls(
            kind=kind,
            id=id,
            owner_ids=frozenset(owners),
            clinic_ids=frozenset(c for c in clinics if c is not None),
        )


@dataclass(frozen=True, slots=True)
class Actor:
    """The caller: a signed-in user, or a clinic system using an API key.

    ``memberships`` maps each clinic where the user is active staff to their role there.
    An API key acts for its one clinic (its only membership) with exactly the actions in its
    ``scopes``, whatever a role would allow.
    """

    role: UserRole | None  # None for an API key: it has no platform-wide role
    user_id: uuid.UUID | None = None
    memberships: Mapping[uuid.UUID, StaffRole] = field(default_factory=dict)
    veterinarian_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    scopes: frozenset[Action] | None = None

    @property
    def is_platform_admin(self) -> bool:
        return self.role is UserRole.PLATFORM_ADMIN

    def staff_clinic_ids(self, action: Action | None = None) -> frozenset[uuid.UUID]:
        """Clinics whose records this caller handles as staff (optionally: for ``action``)."""
        return frozenset(
            clinic_id
            for clinic_id, role in self.memberships.items()
            if action is None or action in self._staff_actions(role)
        )

    def _staff_actions(self, role: StaffRole) -> frozenset[Action]:
        if self.api_key_id is not None:
            return self.scopes or frozenset()
        return STAFF_ACTIONS[role]

    def relation_to(self, resource: Resource) -> Relation:
        if self.user_id is not None and self.user_id in resource.owner_ids:
            return Relation.OWNER
        if resource.clinic_ids & self.memberships.keys():
            return Relation.STAFF
        return Relation.NONE

    def allowed_actions(self, resource: Resource) -> frozenset[Action]:
        """Everything this caller may do to ``resource``."""
        if self.is_platform_admin and self.api_key_id is None:
            return frozenset(Action)
        allowed: set[Action] = set()
        if self.user_id is not None and self.user_id in resource.owner_ids:
            allowed |= _OWNER_ACTIONS
        for clinic_id in resource.clinic_ids & self.memberships.keys():
            allowed |= self._staff_actions(self.memberships[clinic_id])
        return frozenset(allowed)


def authorize(actor: Actor, action: Action, resource: Resource) -> None:
    """Allow ``action`` on ``resource`` or raise.

    Raises :class:`NotFoundException` when the caller may not even see the record (so that an
    id of someone else's record reveals nothing), and :class:`PermissionDeniedException` when
    they see it but their role may not perform ``action``.
    """
    allowed = actor.allowed_actions(resource)
    if action in allowed:
        return
    if not allowed & READ_ACTIONS:
        raise NotFoundException(
            f"{resource.kind.replace('_', ' ').capitalize()} not found",
            code=f"{resource.kind.upper()}_NOT_FOUND",
        )
    raise PermissionDeniedException(
        f"Your role may not perform {action.value} on this {resource.kind.replace('_', ' ')}",
        details={"action": action.value},
    )


def require_role(actor: Actor, *roles: UserRole) -> None:
    """For actions on no particular record (create a clinic, list users): the role must match."""
    if actor.is_platform_admin or (actor.role is not None and actor.role in roles):
        return
    raise PermissionDeniedException(
        "Your role may not perform this action",
        details={"required_roles": sorted(role.value for role in roles)},
    )


__all__ = [
    "API_KEY_GRANTABLE",
    "READ_ACTIONS",
    "STAFF_ACTIONS",
    "Action",
    "Actor",
    "Relation",
    "Resource",
    "authorize",
    "require_role",
]
