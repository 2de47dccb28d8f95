"""Fixtures for the clinical-record tests: a ready-made :class:`Practice` where one pet is a
patient (the builders live in ``pet_world``, shared with pets/).

Everything is flushed inside the test's rolled-back transaction (``db_session``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
import pytest_asyncio
from pet_world import Person, PetWorld, unique
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import (
    Appointment,
    Clinic,
    Pet,
)
from vet_core.models.enums import StaffRole

ClinicalWorld = PetWorld
__all__ = ["ClinicalWorld", "Person", "unique"]


@dataclass(frozen=True)
class Practice:
    """One clinic with its whole team, a patient of it, and a veterinarian elsewhere."""

    clinic: Clinic
    vet: Person
    tech: Person
    receptionist: Person
    clinic_admin: Person
    owner: Person
    co_owner: Person
    pet: Pet
    appointment: Appointment
    other_clinic: Clinic
    other_vet: Person
    stranger: Person


@pytest.fixture
def world(db_session: AsyncSession) -> ClinicalWorld:
    return ClinicalWorld(db_session)


async def make_practice(world: ClinicalWorld) -> Practice:
    """A clinic whose veterinarian has seen the owner's pet, its team, and outsiders."""
    clinic, other_clinic = await world.clinic(), await world.clinic()
    vet = await world.staff(clinic, StaffRole.VETERINARIAN)
    owner, co_owner = await world.owner(), await world.owner()
    pet = await world.pet(owner, name="Juniper", co_owners=(co_owner,))
    appointment = await world.visit(pet, clinic, vet)
    return Practice(
        clinic=clinic,
        vet=vet,
        tech=await world.staff(clinic, StaffRole.VET_TECH),
        receptionist=await world.staff(clinic, StaffRole.RECEPTIONIST),
        clinic_admin=await world.staff(clinic, StaffRole.CLINIC_ADMIN),
        owner=owner,
        co_owner=co_owner,
        pet=pet,
        appointment=appointment,
        other_clinic=other_clinic,
        other_vet=await world.staff(other_clinic, StaffRole.VETERINARIAN),
        stranger=await world.owner(),
    )


@pytest_asyncio.fixture(loop_scope="session")
async def practice(world: ClinicalWorld) -> Practice:
    return await make_practice(world)


@pytest.fixture
def practice_in() -> Callable[[AsyncSession], Awaitable[Practice]]:
    """Build a practice in a session of the test's choosing (e.g. one that really commits)."""

    async def build(session: AsyncSession) -> Practice:
        return await make_practice(ClinicalWorld(session))

    return build
