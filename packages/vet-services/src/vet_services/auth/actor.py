"""Building the :class:`Actor` of a signed-in user: their role, clinics and veterinarian id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models.clinics import Clinic, ClinicMembership
from vet_core.models.enums import MembershipStatus
from vet_core.models.identity import User
from vet_core.models.veterinarians import Veterinarian
from vet_services.auth.permissions import Actor


async def load_actor(session: AsyncSession, user: User) -> Actor:
    """The actor for ``user``: active memberships of live clinics, and their vet profile if any."""
    memberships_query = (
        select(ClinicMembership.clinic_id, ClinicMembership.role)
        .join(Clinic, Clinic.id == ClinicMembership.clinic_id)
        .where(
            ClinicMembership.user_id == user.id,
            ClinicMembership.status == MembershipStatus.ACTIVE,
            ClinicMembership.ended_at.is_(None),
            Clinic.deleted_at.is_(None),
        )
    )
    vet_query = select(Veterinarian.id).where(
        Veterinarian.user_id == user.id, Veterinarian.deleted_at.is_(None)
    )
    rows = (await session.execute(memberships_query)).all()
    veterinarian_id = (await session.execute(vet_query)).scalar_one_or_none()
    return Actor(
        role=user.role,
        user_id=user.id,
        memberships={row.clinic_id: row.role for row in rows},
        veterinarian_id=veterinarian_id,
    )
