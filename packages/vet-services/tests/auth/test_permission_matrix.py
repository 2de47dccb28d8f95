"""The access-control matrix: every role × every action × own / same-clinic / other-clinic record.

The table below is the specification, read as: for each action, one group of three letters per
role, for a record the caller *owns* / held by *the clinic where they work* / held by *another
clinic*. A = allowed, F = forbidden (403: they see the record, their role may not act),
N = not found (404: they may not even know it exists).
"""

from __future__ import annotations

import uuid

import pytest

from vet_core.exceptions import NotFoundException, PermissionDeniedException
from vet_core.models.enums import StaffRole, UserRole
from vet_services.auth.permissions import Action, Actor, Resource, authorize, require_role

ROLES = ("pet_owner", "veterinarian", "vet_tech", "receptionist", "clinic_admin", "platform_admin")
RELATIONS = ("own", "same_clinic", "other_clinic")

#                                 owner  vet   tech  recep cadmin padmin
MATRIX: dict[str, str] = {
    "pet:read":                   "ANN   AAN   AAN   AAN   AAN   AAA",
    "pet:write":                  "ANN   AAN   AAN   AAN   AAN   AAA",
    "pet:delete":                 "ANN   AFN   AFN   AFN   AFN   AAA",
    "pet:transfer":               "ANN   AFN   AFN   AFN   AFN   AAA",
    "clinical:read":              "ANN   AAN   AAN   AFN   AAN   AAA",
    "clinical:write":             "FNN   FAN   FAN   FFN   FFN   AAA",
    "prescription:write":         "FNN   FAN   FFN   FFN   FFN   AAA",
    "appointment:read":           "ANN   AAN   AAN   AAN   AAN   AAA",
    "appointment:book":           "ANN   AAN   AAN   AAN   AAN   AAA",
    "appointment:cancel":         "ANN   AAN   AAN   AAN   AAN   AAA",
    "appointment:reschedule":     "ANN   AAN   AAN   AAN   AAN   AAA",
    "appointment:manage":         "FNN   FAN   FAN   FAN   FAN   AAA",
    "appointment:internal_notes": "FNN   FAN   FAN   FAN   FAN   AAA",
    "schedule:read":              "FNN   FAN   FAN   FAN   FAN   AAA",
    "schedule:manage":            "FNN   FAN   FFN   FFN   FAN   AAA",
    "clinic:manage":              "FNN   FFN   FFN   FFN   FAN   AAA",
    "staff:manage":               "FNN   FFN   FFN   FFN   FAN   AAA",
    "report:read":                "FNN   FFN   FFN   FFN   FAN   AAA",
    "payment:read":               "FNN   FFN   FFN   FFN   FAN   AAA",
    "payment:refund":             "FNN   FFN   FFN   FFN   FAN   AAA",
    "review:moderate":            "FNN   FFN   FFN   FFN   FAN   AAA",
    "api_key:manage":             "FNN   FFN   FFN   FFN   FAN   AAA",
    "audit:read":                 "FNN   FFN   FFN   FFN   FAN   AAA",
}  # fmt: skip

MY_CLINIC = uuid.uuid4()
OTHER_CLINIC = uuid.uuid4()


def actor_for(role: str) -> Actor:
    user_id = uuid.uuid4()
    if role in ("pet_owner", "platform_admin"):
        return Actor(role=UserRole(role), user_id=user_id)
    return Actor(role=UserRole(role), user_id=user_id, memberships={MY_CLINIC: StaffRole(role)})


def record(actor: Actor, relation: str) -> Resource:
    somebody_else = uuid.uuid4()
    match relation:
        case "own":
            return Resource.of("pet", uuid.uuid4(), owners=[actor.user_id], clinics=[OTHER_CLINIC])
        case "same_clinic":
            return Resource.of("pet", uuid.uuid4(), owners=[somebody_else], clinics=[MY_CLINIC])
        case _:
            return Resource.of("pet", uuid.uuid4(), owners=[somebody_else], clinics=[OTHER_CLINIC])


CASES = [
    pytest.param(action, role, relation, cells[ROLES.index(role)][RELATIONS.index(relation)],
                 id=f"{role}-{action}-{relation}")
    for action, row in MATRIX.items()
    for cells in [row.split()]
    for role in ROLES
    for relation in RELATIONS
]  # fmt: skip


def test_the_matrix_covers_every_action():
    assert set(MATRIX) == {action.value for action in Action}
    assert all(len(row.split()) == len(ROLES) for row in MATRIX.values())


@pytest.mark.parametrize(("action", "role", "relation", "expected"), CASES)
def test_authorize(action, role, relation, expected):
    actor = actor_for(role)
    resource = record(actor, relation)
    if expected == "A":
        authorize(actor, Action(action), resource)
    elif expected == "F":
        with pytest.raises(PermissionDeniedException):
            authorize(actor, Action(action), resource)
    else:
        with pytest.raises(NotFoundException) as caught:
            authorize(actor, Action(action), resource)
        # Nothing in the answer tells that the record exists.
        assert caught.value.code == "PET_NOT_FOUND"
        assert caught.value.details == {}


def test_a_co_owner_is_an_owner():
    actor = actor_for("pet_owner")
    shared = Resource.of("pet", owners=[uuid.uuid4(), actor.user_id])
    authorize(actor, Action.PET_WRITE, shared)


def test_a_pet_seen_by_several_clinics_is_visible_to_each():
    actor = actor_for("receptionist")
    pet = Resource.of("pet", owners=[uuid.uuid4()], clinics=[OTHER_CLINIC, MY_CLINIC])
    authorize(actor, Action.PET_READ, pet)


def test_staff_scoping_for_list_queries():
    actor = Actor(
        role=UserRole.VETERINARIAN,
        user_id=uuid.uuid4(),
        memberships={MY_CLINIC: StaffRole.VETERINARIAN, OTHER_CLINIC: StaffRole.RECEPTIONIST},
    )
    assert actor.staff_clinic_ids() == {MY_CLINIC, OTHER_CLINIC}
    assert actor.staff_clinic_ids(Action.CLINICAL_WRITE) == {MY_CLINIC}


@pytest.mark.parametrize("role", ROLES)
def test_require_role(role):
    actor = actor_for(role)
    if role in ("clinic_admin", "platform_admin"):
        require_role(actor, UserRole.CLINIC_ADMIN)
    else:
        with pytest.raises(PermissionDeniedException):
            require_role(actor, UserRole.CLINIC_ADMIN)
