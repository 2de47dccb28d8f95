"""Loading a clinic and deciding who may touch it, shared by the clinic, staff and vet modules.

A clinic's public face (name, address, hours) is for anyone signed in; managing it is scoped by
membership through :func:`authorize`, so the admin of another clinic gets ``CLINIC_NOT_FOUND``
on our clinic's admin routes, exactly as for a clinic that does not exist.
"""

from __future__ import annotations

import uuid
from datetime import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import BusinessRuleException, NotFoundException
from vet_core.models import Clinic
from vet_services.auth.permissions import Action, Actor, Resource, authorize


def clinic_not_found() -> NotFoundException:
    return NotFoundException("Clinic not found", code="CLINIC_NOT_FOUND")


def clinic_resource(clinic_id: uuid.UUID) -> Resource:
    return Resource.of("clinic", clinic_id, clinics=[clinic_id])


async def load_clinic(session: AsyncSession, clinic_id: uuid.UUID, *, lock: bool = False) -> Clinic:
    """A live (not deleted) clinic, or ``CLINIC_NOT_FOUND``."""
    query = select(Clinic).where(Clinic.id == clinic_id, Clinic.not_deleted())
    if lock:
        query = query.with_for_update()
    clinic = (await session.execute(query)).scalar_one_or_none()
    if clinic is None:
        raise clinic_not_found()
    return clinic


async def authorized_clinic(
    session: AsyncSession, actor: Actor, clinic_id: uuid.UUID, action: Action, *, lock: bool = False
) -> Clinic:
    """Load the clinic and allow ``action`` on it, or raise 404 (no relation) / 403 (role)."""
    authorize(actor, action, clinic_resource(clinic_id))
    return await load_clinic(session, clinic_id, lock=lock)


def require_staff_of(actor: Actor, clinic_id: uuid.UUID) -> None:
    """Any active staff member of the clinic (or a platform admin); others see nothing."""
    if actor.is_platform_admin and actor.api_key_id is None:
        return
    if clinic_id not in actor.memberships:
        raise clinic_not_found()


def require_local_times(field: str, *values: time | None) -> None:
    """Clinic hours and weekly rules are wall-clock times in the clinic's zone; a UTC offset
    would be dropped by the ``time`` column and silently shift nothing, so it is refused."""
    if any(value is not None and value.tzinfo is not None for value in values):
        raise BusinessRuleException(
            "Give local times without a UTC offset: they are in the clinic's timezone",
            code="LOCAL_TIME_WITH_OFFSET",
            details={"field": field},
        )
