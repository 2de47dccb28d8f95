"""The world of the clinic administration tests: a clinic with one person in each role, and people
related to it in no way, each with the :class:`Actor` they sign in as. Everything lives in the
test's rolled-back transaction."""

from __future__ import annotations

from dataclasses import dataclass

from factories import Builder, Person
from sqlalchemy import select

from vet_core.models import Clinic, ClinicMembership, User, Veterinarian
from vet_core.models.enums import StaffRole, UserRole
from vet_services.auth.permissions import Actor


@dataclass(frozen=True)
class Staffed:
    """A clinic, one person per staff role there, an admin of another clinic, an owner and a
    platform admin."""

    clinic: Clinic
    admin: Person
    receptionist: Person
    vet: Person
    veterinarian: Veterinarian
    other_admin: Person
    owner: Person
    platform: Person
    build: Builder

    async def membership_of(self, person: Person) -> ClinicMembership:
        query = select(ClinicMembership).where(
            ClinicMembership.clinic_id == self.clinic.id,
            ClinicMembership.user_id == person.user.id,
        )
        return (await self.build.session.execute(query)).scalar_one()


async def staffed_clinic(build: Builder) -> Staffed:
    clinic = await build.clinic()
    veterinarian = await build.veterinarian(clinic, weekdays=())
    vet_user = await build.session.get(User, veterinarian.user_id)
    assert vet_user is not None
    vet = Person(
        vet_user,
        Actor(
            role=UserRole.VETERINARIAN,
            user_id=vet_user.id,
            memberships={clinic.id: StaffRole.VETERINARIAN},
            veterinarian_id=veterinarian.id,
        ),
    )
    platform_user = await build.user(UserRole.PLATFORM_ADMIN)
    return Staffed(
        clinic=clinic,
        admin=await build.staff(clinic, StaffRole.CLINIC_ADMIN),
        receptionist=await build.staff(clinic, StaffRole.RECEPTIONIST),
        vet=vet,
        veterinarian=veterinarian,
        other_admin=await build.staff(await build.clinic(), StaffRole.CLINIC_ADMIN),
        owner=await build.owner(),
        platform=Person(
            platform_user, Actor(role=UserRole.PLATFORM_ADMIN, user_id=platform_user.id)
        ),
        build=build,
    )
