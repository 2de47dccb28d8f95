"""Building the :class:`Actor` of a signed-in user: their role, clinics and veterinarian id.

What counts is written once, here, as columns correlated to ``users``: active, current
memberships of live clinics (two arrays in the same order) and the live veterinarian profile.
:func:`load_actor` reads them for a user row in hand; sign-in reads them beside the user row in
the same statement (:func:`vet_services.auth.identity.actor_for_claims`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, and_, cast, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models.clinics import Clinic, ClinicMembership
from vet_core.models.enums import MembershipStatus, StaffRole
from vet_core.models.identity import User
from vet_core.models.veterinarians import Veterinarian
from vet_services.auth.permissions import Actor


def _memberships(column: Any) -> Any:
    """``column`` of the user's live memberships, as an array in clinic order."""
    return (
        select(
            func.array_agg(
                aggregate_order_by(column, ClinicMembership.clinic_id, ClinicMembership.id)
            )
        )
        .select_from(ClinicMembership)
        .join(Clinic, Clinic.id == ClinicMembership.clinic_id)
        .where(
            and_(
                ClinicMembership.user_id == User.id,
                ClinicMembership.status == MembershipStatus.ACTIVE,
                ClinicMembership.ended_at.is_(None),
                Clinic.deleted_at.is_(None),
            )
        )
        .scalar_subquery()
    )


def actor_columns() -> tuple[Any, Any, Any]:
    """Clinic ids, staff roles (same order) and veterinarian id, correlated to ``User``."""
    veterinarian = (
        select(Veterinarian.id)
        .where(Veterinarian.user_id == User.id, Veterinarian.deleted_at.is_(None))
        .limit(1)
        .scalar_subquery()
    )
    return (
        _memberships(ClinicMembership.clinic_id),
        _memberships(cast(ClinicMembership.role, String)),
        veterinarian,
    )


def actor_from(
    user: User,
    clinic_ids: Sequence[uuid.UUID] | None,
    roles: Sequence[str] | None,
    veterinarian_id: uuid.UUID | None,
) -> Actor:
    """The actor of ``user`` from the values of :func:`actor_columns`."""
    return Actor(
        role=user.role,
        user_id=user.id,
        memberships={
            clinic_id: StaffRole(role)
            for clinic_id, role in zip(clinic_ids or (), roles or (), strict=True)
        },
        veterinarian_id=veterinarian_id,
    )


async def load_actor(session: AsyncSession, user: User) -> Actor:
    """The actor for ``user``: active memberships of live clinics, and their vet profile if any."""
    row = (await session.execute(select(*actor_columns()).where(User.id == user.id))).one()
    return actor_from(user, *row)
