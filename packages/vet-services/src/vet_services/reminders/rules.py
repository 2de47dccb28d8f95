"""When each kind of reminder is due: pure rules, no database.

* Vaccination: before the vaccination's ``next_due_on`` (default 14 and 3 days before).
* Appointment: before it starts (default 24 and 2 hours before).
* Prescription refill: before the prescription's ``valid_until`` (default 7 days before).
* Annual wellness exam: a year after the last wellness exam (default 14 days before).

Date-based reminders go out at a fixed local hour (default 10:00) in the owner's zone, found on
the owner's calendar so a DST change never moves them to 09:00 or 11:00. A clinic overrides any
of this in ``Clinic.settings["reminders"]``; values are validated so a typo fails loudly instead
of silently dropping every reminder of the clinic.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from vet_core.exceptions import SchemaValidationException
from vet_core.models import Appointment, Prescription, Vaccination
from vet_core.models.enums import ReminderKind
from vet_core.utils.time import wall_clock_instant

SETTINGS_KEY = "reminders"
TITLE_LENGTH = 200
POLICY_INVALID = "REMINDER_POLICY_INVALID"
#: The event date of a reminder without a row to read it from (refill, wellness) lives in its
#: notes as ``Due YYYY-MM-DD.``; the pass reads it back to tell the owner the date.
DUE_NOTE_PREFIX = "Due "

_LEAD_RANGES: Mapping[str, tuple[int, int]] = {
    "vaccination_lead_days": (0, 365),
    "appointment_lead_hours": (0, 24 * 30),
    "refill_lead_days": (0, 90),
    "wellness_lead_days": (0, 180),
}
_INT_RANGES: Mapping[str, tuple[int, int]] = {
    "wellness_interval_days": (30, 3 * 365),
    "group_window_hours": (0, 72),
}


def _invalid(message: str, name: str) -> SchemaValidationException:
    return SchemaValidationException(message, code=POLICY_INVALID, details={"field": name})


def _whole(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(f"{name} must be a whole number, got {value!r}", name)
    if not low <= value <= high:
        raise _invalid(f"{name} must be between {low} and {high}, got {value}", name)
    return value


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    """One clinic's lead times; the defaults are what most practices send."""

    vaccination_lead_days: tuple[int, ...] = (14, 3)
    appointment_lead_hours: tuple[int, ...] = (24, 2)
    refill_lead_days: tuple[int, ...] = (7,)
    wellness_interval_days: int = 365
    wellness_lead_days: tuple[int, ...] = (14,)
    #: Local hour at which date-based reminders go out.
    send_at_local: time = time(10)
    #: Reminders of one household due within this many hours of one that is due now are sent
    #: together (appointment reminders are never sent early).
    group_window_hours: int = 12

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> ReminderPolicy:
        """The policy of ``Clinic.settings``; missing keys keep their defaults."""
        raw = (settings or {}).get(SETTINGS_KEY) or {}
        if not isinstance(raw, Mapping):
            raise _invalid("settings.reminders must be an object", SETTINGS_KEY)
        values: dict[str, Any] = {}
        known = {*_LEAD_RANGES, *_INT_RANGES, "send_at_local"}
        unknown = set(raw) - known
        if unknown:
            name = sorted(unknown)[0]
            raise _invalid(f"unknown reminder setting {name!r}", name)
        for name, (low, high) in _LEAD_RANGES.items():
            if name in raw:
                leads = raw[name]
                if not isinstance(leads, list | tuple):
                    raise _invalid(f"{name} must be a list of whole numbers", name)
                checked = {_whole(name, lead, low, high) for lead in leads}
                values[name] = tuple(sorted(checked, reverse=True))
        for name, (low, high) in _INT_RANGES.items():
            if name in raw:
                values[name] = _whole(name, raw[name], low, high)
        if "send_at_local" in raw:
            try:
                values["send_at_local"] = time.fromisoformat(str(raw["send_at_local"]))
            except ValueError as exc:
                raise _invalid(
                    "send_at_local must be a time such as '10:00'", "send_at_local"
                ) from exc
        return cls(**values)


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    """A reminder the rules want to exist; ``source`` identifies it for idempotent creation."""

    pet_id: uuid.UUID
    kind: ReminderKind
    title: str
    due_at: datetime
    source: str
    vaccination_id: uuid.UUID | None = None
    appointment_id: uuid.UUID | None = None
    notes: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def _title(text: str) -> str:
    """Fits ``Reminder.title`` (200 characters) whatever the vaccine or medication is called."""
    return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1] + "…"


def _local_send_time(day: date, policy: ReminderPolicy, zone: tzinfo) -> datetime:
    return wall_clock_instant(datetime.combine(day, policy.send_at_local), zone)


def due_note(day: date) -> str:
    return f"{DUE_NOTE_PREFIX}{day.isoformat()}."


def parse_due_note(notes: str | None) -> date | None:
    """The event date written by :func:`due_note`, or ``None``."""
    if not notes or not notes.startswith(DUE_NOTE_PREFIX):
        return None
    try:
        return date.fromisoformat(notes[len(DUE_NOTE_PREFIX) :].split(".", 1)[0])
    except ValueError:
        return None


def vaccination_reminders(
    vaccination: Vaccination, policy: ReminderPolicy, zone: tzinfo
) -> list[PlannedReminder]:
    """One reminder per lead time before ``next_due_on``."""
    if vaccination.next_due_on is None or vaccination.deleted_at is not None:
        return []
    return [
        PlannedReminder(
            pet_id=vaccination.pet_id,
            kind=ReminderKind.VACCINATION,
            title=_title(f"{vaccination.vaccine_name} vaccination due"),
            due_at=_local_send_time(vaccination.next_due_on - timedelta(days=lead), policy, zone),
            source=f"vaccination:{vaccination.id}:{vaccination.next_due_on}:{lead}d",
            vaccination_id=vaccination.id,
        )
        for lead in policy.vaccination_lead_days
    ]


def appointment_reminders(
    appointment: Appointment, policy: ReminderPolicy
) -> list[PlannedReminder]:
    """One reminder per lead time before the appointment starts (exact instants, no rounding)."""
    service = appointment.service_type.value.replace("_", " ")
    return [
        PlannedReminder(
            pet_id=appointment.pet_id,
            kind=ReminderKind.APPOINTMENT,
            title=f"Appointment ({service})",
            due_at=appointment.starts_at - timedelta(hours=lead),
            source=f"appointment:{appointment.id}:{appointment.starts_at.isoformat()}:{lead}h",
            appointment_id=appointment.id,
        )
        for lead in policy.appointment_lead_hours
    ]


def refill_reminders(
    prescription: Prescription, policy: ReminderPolicy, zone: tzinfo
) -> list[PlannedReminder]:
    """Before a current prescription runs out, while it is neither discontinued nor deleted."""
    if (
        prescription.valid_until is None
        or prescription.discontinued_at is not None
        or prescription.deleted_at is not None
    ):
        return []
    return [
        PlannedReminder(
            pet_id=prescription.pet_id,
            kind=ReminderKind.MEDICATION,
            title=_title(f"Prescription refill: {prescription.medication_name}"),
            due_at=_local_send_time(prescription.valid_until - timedelta(days=lead), policy, zone),
            source=f"prescription:{prescription.id}:{prescription.valid_until}:{lead}d",
            notes=due_note(prescription.valid_until),
        )
        for lead in policy.refill_lead_days
    ]


def wellness_reminders(
    pet_id: uuid.UUID, last_exam_on: date | None, policy: ReminderPolicy, zone: tzinfo
) -> list[PlannedReminder]:
    """The annual exam, counted from the last one (no history, no reminder: nothing to count)."""
    if last_exam_on is None:
        return []
    exam_due = last_exam_on + timedelta(days=policy.wellness_interval_days)
    return [
        PlannedReminder(
            pet_id=pet_id,
            kind=ReminderKind.CHECKUP,
            title="Annual wellness exam",
            due_at=_local_send_time(exam_due - timedelta(days=lead), policy, zone),
            source=f"wellness:{pet_id}:{exam_due}:{lead}d",
            notes=due_note(exam_due),
        )
        for lead in policy.wellness_lead_days
    ]


__all__ = [
    "SETTINGS_KEY",
    "PlannedReminder",
    "ReminderPolicy",
    "appointment_reminders",
    "due_note",
    "parse_due_note",
    "refill_reminders",
    "vaccination_reminders",
    "wellness_reminders",
]
