"""The append-only audit log: who changed what, from which value to which, in which request.

Every write to medical records, appointments, payments and roles calls :func:`record_change`
in the same transaction as the write, so the history can never disagree with the data (the
table itself refuses UPDATE and DELETE).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from ipaddress import ip_address
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models.audit import AuditLog
from vet_core.models.enums import ActorType, AuditAction
from vet_services.auth.permissions import Actor
from vet_services.context import request_context


def _json_safe(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(v) for v in value]
    return value


def snapshot(obj: object, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The current column values of an ORM object (all columns, or ``fields``)."""
    mapper = inspect(type(obj))
    names = list(fields) if fields is not None else [c.key for c in mapper.column_attrs]
    return {name: _json_safe(getattr(obj, name)) for name in names}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """``{field: {"before": old, "after": new}}`` for each field whose value changed."""
    changed: dict[str, Any] = {}
    for key in sorted(set(before) | set(after)):
        old, new = _json_safe(before.get(key)), _json_safe(after.get(key))
        if old != new:
            changed[key] = {"before": old, "after": new}
    return changed


async def record_change(
    session: AsyncSession,
    actor: Actor | None,
    action: AuditAction,
    entity_type: str,
    entity_id: uuid.UUID | None,
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditLog:
    """Append one entry; the changed fields are computed from ``before`` and ``after``."""
    context = request_context.get()
    if actor is None or (actor.user_id is None and actor.api_key_id is None):
        # No one signed in and no key: the platform itself (a background job).
        actor_type, actor_id = ActorType.SYSTEM, None
    elif actor.api_key_id is not None:
        actor_type, actor_id = ActorType.API_KEY, actor.api_key_id
    else:
        actor_type, actor_id = ActorType.USER, actor.user_id
    entry = AuditLog(
        actor_type=actor_type,
        actor_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        changes=diff(before or {}, after or {}),
        request_id=context.request_id,
        ip_address=ip_address(context.ip_address) if context.ip_address else None,
        user_agent=context.user_agent,
    )
    session.add(entry)
    await session.flush()
    return entry
