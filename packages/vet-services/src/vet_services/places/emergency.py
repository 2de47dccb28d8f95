"""Emergency routing: which open emergency clinic to drive to now, and telling it you are coming.

Why distance *and* load: the nearest clinic with three patients already on the table may see a
bleeding dog later than one a few kilometres further that is idle. Clinics are ranked by an
estimate of minutes until care: driving time at :data:`DRIVING_SPEED_KMH` plus
:data:`MINUTES_PER_PATIENT_IN_CARE` for every appointment checked in or in progress right now.

There is no table for emergency requests: a request is a job on the transactional outbox
(``emergency.notify_clinic``) carrying the whole request, so the clinic is notified exactly when
the caller's transaction commits, and the returned reference identifies it in the job and logs.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import BusinessRuleException, NotFoundException, SchemaValidationException
from vet_core.models.base import uuid7
from vet_core.models.clinics import Clinic
from vet_core.models.enums import ClinicStatus, Species
from vet_core.utils.geo import haversine_km, validate_coordinates
from vet_core.utils.time import ensure_aware, utcnow
from vet_services.auth.permissions import Actor
from vet_services.outbox import enqueue
from vet_services.pets.service import get_pet
from vet_services.places.search import (
    ACTIVE_CLINIC_SQL,
    DISTANCE_SQL,
    OPEN_NOW_SQL,
    WITHIN_RADIUS_SQL,
    open_now_clinic_ids,
    validate_radius_km,
)

DRIVING_SPEED_KMH = 40.0
MINUTES_PER_PATIENT_IN_CARE = 15.0
#: An appointment counts as current load only if it started within this window (stale
#: "in progress" rows from yesterday that nobody closed must not hide a clinic forever).
LOAD_WINDOW = timedelta(hours=12)
NOTIFY_TOPIC = "emergency.notify_clinic"
DEFAULT_AFTER_HOURS_INSTRUCTIONS = (
    "Call the clinic before you set off so the team can prepare; keep the animal warm and still."
)

_LOAD_SQL = """
(
  SELECT count(*) FROM appointments a
  WHERE a.clinic_id = c.id AND a.deleted_at IS NULL
    AND a.status IN ('checked_in', 'in_progress')
    AND a.starts_at <= CAST(:now AS timestamptz)
    AND a.starts_at >= CAST(:now AS timestamptz) - CAST(:load_window AS interval)
)
"""


@dataclass(frozen=True, slots=True)
class EmergencyOption:
    """An open emergency clinic, how far it is, how busy it is and how to reach it."""

    clinic_id: uuid.UUID
    name: str
    phone: str | None
    address: str
    distance_m: float
    patients_in_care: int
    estimated_minutes_to_care: float
    after_hours_instructions: str


@dataclass(frozen=True, slots=True)
class EmergencyRequestReceipt:
    """What the caller keeps: a reference and how to reach the clinic that was notified."""

    reference: uuid.UUID
    clinic_id: uuid.UUID
    clinic_name: str
    phone: str | None
    distance_m: float | None


def estimated_minutes(distance_m: float, patients_in_care: int) -> float:
    """Minutes until an animal arriving from ``distance_m`` away is likely to be seen."""
    driving = distance_m / 1000.0 / DRIVING_SPEED_KMH * 60.0
    return driving + patients_in_care * MINUTES_PER_PATIENT_IN_CARE


def _instructions(settings: Mapping[str, Any] | None) -> str:
    emergency = (settings or {}).get("emergency")
    if isinstance(emergency, Mapping):
        value = emergency.get("after_hours_instructions")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return DEFAULT_AFTER_HOURS_INSTRUCTIONS


async def emergency_options(
    session: AsyncSession,
    *,
    latitude: float,
    longitude: float,
    radius_km: float = 50.0,
    now: datetime | None = None,
    limit: int = 5,
) -> list[EmergencyOption]:
    """Open emergency-capable clinics within ``radius_km``, best first (see the module doc).

    Candidates come from the same indexed radius query as the clinic search; ranking happens on
    that handful of rows.
    """
    lat, lng = validate_coordinates(latitude, longitude)
    instant = ensure_aware(now or utcnow(), field="now")
    if not 1 <= limit <= 20:
        raise SchemaValidationException(
            "limit must be between 1 and 20", details={"field": "limit"}
        )
    statement = text(
        "SELECT c.id, c.name, c.phone, c.address_line1, c.city, c.settings,"  # noqa: S608 - constant SQL
        f" {DISTANCE_SQL} AS distance_m, {_LOAD_SQL} AS load"
        f" FROM clinics c WHERE {ACTIVE_CLINIC_SQL} AND c.accepts_emergencies"
        f" AND {WITHIN_RADIUS_SQL} AND {OPEN_NOW_SQL}"
    )
    params = {
        "lat": lat,
        "lng": lng,
        "radius_m": validate_radius_km(radius_km) * 1000.0,
        "now": instant,
        "load_window": LOAD_WINDOW,
    }
    rows = (await session.execute(statement, params)).mappings().all()
    options = [
        EmergencyOption(
            clinic_id=row["id"],
            name=row["name"],
            phone=row["phone"],
            address=f"{row['address_line1']}, {row['city']}",
            distance_m=float(row["distance_m"]),
            patients_in_care=int(row["load"]),
            estimated_minutes_to_care=estimated_minutes(float(row["distance_m"]), int(row["load"])),
            after_hours_instructions=_instructions(row["settings"]),
        )
        for row in rows
    ]
    options.sort(key=lambda o: (o.estimated_minutes_to_care, o.distance_m, o.clinic_id))
    return options[:limit]


async def create_emergency_request(
    session: AsyncSession,
    actor: Actor | None,
    *,
    clinic_id: uuid.UUID,
    description: str,
    contact_phone: str,
    species: Species | None = None,
    pet_id: uuid.UUID | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    now: datetime | None = None,
) -> EmergencyRequestReceipt:
    """Tell ``clinic_id`` an emergency is on its way; returns the request's reference.

    Anyone may call (a frightened owner might not be signed in); ``actor`` is recorded when known,
    and only a signed-in caller may name a pet, one they may see.
    The clinic must be active, accept emergencies and be open at ``now``: sending someone to a
    closed door is worse than an error.
    """
    instant = ensure_aware(now or utcnow(), field="now")
    if not description.strip():
        raise SchemaValidationException("describe the emergency", details={"field": "description"})
    if not contact_phone.strip():
        raise SchemaValidationException(
            "a phone number is needed so the clinic can call back",
            details={"field": "contact_phone"},
        )
    clinic = (
        await session.execute(
            select(Clinic).where(
                Clinic.id == clinic_id,
                Clinic.not_deleted(),
                Clinic.status == ClinicStatus.ACTIVE,
            )
        )
    ).scalar_one_or_none()
    if clinic is None:
        raise NotFoundException("Clinic not found", code="CLINIC_NOT_FOUND")
    if not clinic.accepts_emergencies:
        raise BusinessRuleException(
            "This clinic does not take emergencies", code="CLINIC_NOT_EMERGENCY_CAPABLE"
        )
    if clinic.id not in await open_now_clinic_ids(session, [clinic.id], now=instant):
        raise BusinessRuleException(
            "This clinic is closed now; choose another", code="CLINIC_CLOSED"
        )
    if pet_id is not None:
        # Only a pet the caller may see can be named (someone else's is "not found").
        if actor is None:
            raise SchemaValidationException(
                "sign in to name a pet, or leave pet_id out", details={"field": "pet_id"}
            )
        pet = await get_pet(session, actor, pet_id)
        species = species if species is not None else pet.species
    distance_m: float | None = None
    if latitude is not None and longitude is not None:
        lat, lng = validate_coordinates(latitude, longitude)
        distance_m = haversine_km(lat, lng, clinic.latitude, clinic.longitude) * 1000.0
    reference = uuid7()
    payload: dict[str, Any] = {
        "reference": str(reference),
        "clinic_id": str(clinic.id),
        "clinic_phone": clinic.phone,
        "requested_at": instant.isoformat(),
        "requested_by": str(actor.user_id) if actor and actor.user_id else None,
        "description": description.strip(),
        "contact_phone": contact_phone.strip(),
        "species": Species(species).value if species is not None else None,
        "pet_id": str(pet_id) if pet_id else None,
        "latitude": latitude,
        "longitude": longitude,
        "distance_m": distance_m,
    }
    await enqueue(session, NOTIFY_TOPIC, payload, dedup_key=f"{NOTIFY_TOPIC}:{reference}")
    return EmergencyRequestReceipt(
        reference=reference,
        clinic_id=clinic.id,
        clinic_name=clinic.name,
        phone=clinic.phone,
        distance_m=distance_m,
    )


__all__ = [
    "DEFAULT_AFTER_HOURS_INSTRUCTIONS",
    "DRIVING_SPEED_KMH",
    "MINUTES_PER_PATIENT_IN_CARE",
    "NOTIFY_TOPIC",
    "EmergencyOption",
    "EmergencyRequestReceipt",
    "create_emergency_request",
    "emergency_options",
    "estimated_minutes",
]
