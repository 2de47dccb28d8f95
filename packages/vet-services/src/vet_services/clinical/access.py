"""Who may read and write a pet's medical record.

Reading follows the pet: its owners, staff of every clinic that treats it (with a clinical
role) and platform admins. Writing is narrower: the record belongs to one clinic, and only staff
of *that* clinic whose role may write clinical records (veterinarians, vet techs) may add or
change it. A caller who cannot see the pet gets a 404; one who can see it but may not write
(an owner, a receptionist, a clinic admin) gets a 403.
"""

from __future__ import annotations

import uuid

from vet_core.exceptions import BusinessRuleException, PermissionDeniedException
from vet_core.models.enums import StaffRole
from vet_services.auth.permissions import Action, Actor, Resource, authorize


def record_resource(kind: str, record_id: uuid.UUID | None, pet: Resource) -> Resource:
    """A clinical record checked for reading: related to whoever is related to its pet.

    ``kind`` names the record in refusals (``HEALTH_RECORD_NOT_FOUND``, …).
    """
    return Resource(kind=kind, id=record_id, owner_ids=pet.owner_ids, clinic_ids=pet.clinic_ids)


def authorize_clinical_write(
    actor: Actor,
    readable: Resource,
    clinic_id: uuid.UUID | None,
    action: Action = Action.CLINICAL_WRITE,
) -> None:
    """Allow ``action`` on a record of clinic ``clinic_id`` whose pet is ``readable``, or raise.

    First the caller must be able to read the record (else 404, revealing nothing); then their
    role at ``clinic_id`` must allow ``action`` (else 403). A record tied to no clinic can be
    written by platform admins only.
    """
    authorize(actor, Action.CLINICAL_READ, readable)
    at_clinic = Resource.of(readable.kind, readable.id, clinics=[clinic_id])
    if action not in actor.allowed_actions(at_clinic):
        raise PermissionDeniedException(
            f"Your role may not perform {action.value} at this clinic",
            details={"action": action.value},
        )


def require_veterinarian(actor: Actor, clinic_id: uuid.UUID | None) -> uuid.UUID:
    """The caller's veterinarian id, if they work as a veterinarian at ``clinic_id``.

    Signing a record or prescribing is a licensed act: neither an admin nor an API key may do
    it on a veterinarian's behalf.
    """
    if (
        actor.api_key_id is not None
        or actor.veterinarian_id is None
        or clinic_id is None
        or actor.memberships.get(clinic_id) is not StaffRole.VETERINARIAN
    ):
        raise PermissionDeniedException(
            "Only a veterinarian of the record's clinic may do this", code="VETERINARIAN_REQUIRED"
        )
    return actor.veterinarian_id


def resolve_clinic(
    actor: Actor, requested: uuid.UUID | None, action: Action = Action.CLINICAL_WRITE
) -> uuid.UUID | None:
    """The clinic a new record belongs to: the one given, or the caller's only clinic.

    Staff of several clinics must say which one they are writing for; a platform admin may
    leave it empty (a record imported from elsewhere).
    """
    if requested is not None:
        return requested
    clinics = actor.staff_clinic_ids(action)
    if len(clinics) == 1:
        return next(iter(clinics))
    if actor.is_platform_admin and actor.api_key_id is None:
        return None
    if not clinics:
        raise PermissionDeniedException(
            f"Your role may not perform {action.value}", details={"action": action.value}
        )
    raise BusinessRuleException(
        "Say which clinic this record belongs to",
        code="CLINIC_REQUIRED",
        details={"field": "clinic_id"},
    )


__all__ = [
    "authorize_clinical_write",
    "record_resource",
    "require_veterinarian",
    "resolve_clinic",
]
