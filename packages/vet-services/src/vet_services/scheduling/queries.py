"""Reading appointments and waitlist entries: what a caller may see, one page at a time.

Visibility mirrors :func:`vet_services.scheduling.access.appointment_resource` and
:func:`vet_services.auth.permissions.authorize`: an appointment is seen by the current owners of
its (live) pet, by whoever booked it, by staff whose role may read appointments at its clinic
(an API key: with ``appointment:read`` in its scopes) and by platform admins. Lists select only
such rows; reading one that is not visible is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import SchemaValidationException
from vet_core.models import Appointment, Pet, PetOwnership, WaitlistEntry
from vet_core.models.enums import AppointmentStatus, WaitlistStatus
from vet_core.utils.time import ensure_aware
from vet_services.auth.permissions import Action, Actor
from vet_services.pagination import Page, PageRequest, keyset, page_of
from vet_services.scheduling.lifecycle import load_for


@dataclass(frozen=True, slots=True)
class AppointmentFilters:
    """Narrow a listing: any of ``statuses``; ``starts_from <= starts_at < starts_before``."""

    statuses: tuple[AppointmentStatus, ...] = ()
    starts_from: datetime | None = None
    starts_before: datetime | None = None
    pet_id: uuid.UUID | None = None
    clinic_id: uuid.UUID | None = None
    veterinarian_id: uuid.UUID | None = None


def _owned_pet_ids(user_id: uuid.UUID) -> Select[uuid.UUID]:
    return select(PetOwnership.pet_id).where(
        PetOwnership.user_id == user_id, PetOwnership.ended_at.is_(None)
    )


def _sees_everything(actor: Actor) -> bool:
    return actor.is_platform_admin and actor.api_key_id is None


def visible_appointments(actor: Actor) -> Select[Appointment]:
    """Every live appointment of a live pet that ``actor`` may read (not ordered, not paged)."""
    query = select(Appointment).where(
        Appointment.not_deleted(),
        Appointment.pet_id.in_(select(Pet.id).where(Pet.not_deleted())),
    )
    if _sees_everything(actor):
        return query
    visible: list[ColumnElement[bool]] = [
        Appointment.clinic_id.in_(actor.staff_clinic_ids(Action.APPOINTMENT_READ))
    ]
    if actor.user_id is not None:
        visible += [
            Appointment.booked_by_id == actor.user_id,
            Appointment.pet_id.in_(_owned_pet_ids(actor.user_id)),
        ]
    return query.where(or_(*visible))


def _check_range(filters: AppointmentFilters) -> None:
    for name in ("starts_from", "starts_before"):
        value = getattr(filters, name)
        if value is not None:
            ensure_aware(value, field=name)
    if (
        filters.starts_from is not None
        and filters.starts_before is not None
        and filters.starts_before <= filters.starts_from
    ):
        raise SchemaValidationException(
            "starts_before must be after starts_from", details={"field": "starts_before"}
        )


async def list_appointments(
    session: AsyncSession, actor: Actor, filters: AppointmentFilters, page: PageRequest
) -> Page[Appointment]:
    """The appointments ``actor`` may read that match ``filters``, newest booking first."""
    _check_range(filters)
    query = visible_appointments(actor)
    if filters.statuses:
        query = query.where(Appointment.status.in_(filters.statuses))
    if filters.starts_from is not None:
        query = query.where(Appointment.starts_at >= filters.starts_from)
    if filters.starts_before is not None:
        query = query.where(Appointment.starts_at < filters.starts_before)
    if filters.pet_id is not None:
        query = query.where(Appointment.pet_id == filters.pet_id)
    if filters.clinic_id is not None:
        query = query.where(Appointment.clinic_id == filters.clinic_id)
    if filters.veterinarian_id is not None:
        query = query.where(Appointment.veterinarian_id == filters.veterinarian_id)
    paged = keyset(
        query, Appointment.created_at, Appointment.id, cursor=page.cursor, limit=page.limit
    )
    return page_of((await session.scalars(paged)).all(), page.limit)


async def get_appointment(
    session: AsyncSession, actor: Actor, appointment_id: uuid.UUID
) -> Appointment:
    """One appointment ``actor`` may read; ``APPOINTMENT_NOT_FOUND`` (404) otherwise."""
    appointment, _ = await load_for(session, actor, appointment_id, Action.APPOINTMENT_READ)
    return appointment


async def my_waitlist_entries(
    session: AsyncSession,
    actor: Actor,
    page: PageRequest,
    *,
    statuses: tuple[WaitlistStatus, ...] = (),
) -> Page[WaitlistEntry]:
    """The caller's waitlist entries (made by them, or for pets they now own), newest first.

    An API key acts for no person and has no entries of its own: its page is empty.
    """
    if actor.user_id is None:
        return Page(items=[], next_cursor=None, limit=page.limit)
    query = select(WaitlistEntry).where(
        or_(
            WaitlistEntry.requested_by_id == actor.user_id,
            WaitlistEntry.pet_id.in_(_owned_pet_ids(actor.user_id)),
        )
    )
    if statuses:
        query = query.where(WaitlistEntry.status.in_(statuses))
    paged = keyset(
        query, WaitlistEntry.created_at, WaitlistEntry.id, cursor=page.cursor, limit=page.limit
    )
    return page_of((await session.scalars(paged)).all(), page.limit)


__all__ = [
    "AppointmentFilters",
    "get_appointment",
    "list_appointments",
    "my_waitlist_entries",
    "visible_appointments",
]
