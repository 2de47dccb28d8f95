"""Reading the audit log: entries of an entity, of an actor or of a clinic, newest first.

Who may read what, and why this way: the log has no clinic column (it records history and must
outlive what it talks about), so a clinic's history is the entries *about its records*: the
clinic itself, its appointments, health records, vaccinations, memberships, products, orders,
invoices, the payments and refunds of those, and prescriptions written at its appointments.
Clinic admins (``AUDIT_READ``) read that scope for their clinic; platform admins read everything.
Pets belong to their owners, not to a clinic, so their history is not part of a clinic's view.

Pagination is by keyset on ``(occurred_at, id)`` descending, so a page never shifts when new
entries are appended while someone reads.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import PermissionDeniedException, SchemaValidationException
from vet_core.models.audit import AuditLog
from vet_core.models.clinical import HealthRecord, Prescription, Vaccination
from vet_core.models.clinics import ClinicClosure, ClinicMembership, ClinicOperatingHours
from vet_core.models.commerce import Invoice, Order, Payment, Product, Refund
from vet_core.models.enums import AuditAction
from vet_core.models.scheduling import Appointment
from vet_core.utils.time import ensure_aware
from vet_services.auth.permissions import Action, Actor, Resource, authorize

MAX_LIMIT = 200


@dataclass(frozen=True, slots=True)
class AuditPage:
    """Entries newest first; ``next_cursor`` is ``None`` on the last page."""

    items: list[AuditLog]
    next_cursor: str | None


def _encode_cursor(entry: AuditLog) -> str:
    raw = json.dumps([entry.occurred_at.isoformat(), str(entry.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        occurred_at, entry_id = json.loads(
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        )
        return ensure_aware(datetime.fromisoformat(occurred_at)), uuid.UUID(entry_id)
    except (ValueError, TypeError, binascii.Error, SchemaValidationException) as error:
        raise SchemaValidationException(
            "cursor is not one this listing returned", details={"field": "cursor"}
        ) from error


def _payment_ids(clinic_id: uuid.UUID) -> Select[uuid.UUID]:
    return (
        select(Payment.id)
        .outerjoin(Appointment, Payment.appointment_id == Appointment.id)
        .outerjoin(Order, Payment.order_id == Order.id)
        .outerjoin(Invoice, Payment.invoice_id == Invoice.id)
        .where(
            or_(
                Appointment.clinic_id == clinic_id,
                Order.clinic_id == clinic_id,
                Invoice.clinic_id == clinic_id,
            )
        )
    )


def clinic_scope(clinic_id: uuid.UUID) -> ColumnElement[bool]:
    """Entries about records of ``clinic_id`` (see the module docstring for the list)."""

    def about(entity_type: str, ids: Select[uuid.UUID]) -> ColumnElement[bool]:
        return and_(AuditLog.entity_type == entity_type, AuditLog.entity_id.in_(ids))

    by_clinic_column: dict[str, Any] = {
        "appointment": Appointment,
        "health_record": HealthRecord,
        "vaccination": Vaccination,
        "clinic_membership": ClinicMembership,
        "clinic_operating_hours": ClinicOperatingHours,
        "clinic_closure": ClinicClosure,
        "product": Product,
        "order": Order,
        "invoice": Invoice,
    }
    clauses = [and_(AuditLog.entity_type == "clinic", AuditLog.entity_id == clinic_id)]
    clauses.extend(
        about(name, select(model.id).where(model.clinic_id == clinic_id))
        for name, model in by_clinic_column.items()
    )
    clauses.append(about("payment", _payment_ids(clinic_id)))
    clauses.append(
        about("refund", select(Refund.id).where(Refund.payment_id.in_(_payment_ids(clinic_id))))
    )
    clauses.append(
        about(
            "prescription",
            select(Prescription.id)
            .join(Appointment, Prescription.appointment_id == Appointment.id)
            .where(Appointment.clinic_id == clinic_id),
        )
    )
    return or_(*clauses)


async def list_audit_entries(
    session: AsyncSession,
    actor: Actor,
    *,
    clinic_id: uuid.UUID | None = None,
    entity_type: str | None = None,
    entity_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    actions: Iterable[AuditAction] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    request_id: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> AuditPage:
    """Audit entries matching every given filter, newest first.

    ``clinic_id`` is required unless the caller is a platform admin; it is authorized with
    ``AUDIT_READ`` (others get ``CLINIC_NOT_FOUND``, a clinic receptionist a 403).
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise SchemaValidationException(
            f"limit must be between 1 and {MAX_LIMIT}", details={"field": "limit"}
        )
    conditions: list[ColumnElement[bool]] = []
    if clinic_id is not None:
        authorize(actor, Action.AUDIT_READ, Resource.of("clinic", clinic_id, clinics=[clinic_id]))
        conditions.append(clinic_scope(clinic_id))
    elif not (actor.is_platform_admin and actor.api_key_id is None):
        raise PermissionDeniedException(
            "Choose the clinic whose audit log to read", code="AUDIT_SCOPE_REQUIRED"
        )
    if entity_type is not None:
        conditions.append(AuditLog.entity_type == entity_type)
    if entity_id is not None:
        conditions.append(AuditLog.entity_id == entity_id)
    if actor_id is not None:
        conditions.append(AuditLog.actor_id == actor_id)
    wanted = [AuditAction(action) for action in actions]
    if wanted:
        conditions.append(AuditLog.action.in_(wanted))
    if since is not None:
        conditions.append(AuditLog.occurred_at >= ensure_aware(since, field="since"))
    if until is not None:
        conditions.append(AuditLog.occurred_at < ensure_aware(until, field="until"))
    if request_id is not None:
        conditions.append(AuditLog.request_id == request_id)
    if cursor is not None:
        after_at, after_id = _decode_cursor(cursor)
        conditions.append(tuple_(AuditLog.occurred_at, AuditLog.id) < tuple_(after_at, after_id))
    statement = (
        select(AuditLog)
        .where(*conditions)
        .order_by(AuditLog.occurred_at.desc(), AuditLog.id.desc())
        .limit(limit + 1)
    )
    rows = list((await session.execute(statement)).scalars().all())
    items = rows[:limit]
    next_cursor = _encode_cursor(items[-1]) if len(rows) > limit and items else None
    return AuditPage(items=items, next_cursor=next_cursor)


__all__ = ["MAX_LIMIT", "AuditPage", "clinic_scope", "list_audit_entries"]
