"""Reminder rows from the rules, and the pass that delivers the due ones.

Planning is idempotent: each planned reminder is created only if an identical one (same pet,
kind, subject row, due time and title) does not exist yet, under a transaction-scoped advisory
lock on its source, so re-planning after every change, or two planners racing, never doubles it.

:func:`run_reminder_pass` is what a worker runs every few minutes:

1. It finds the households (recipients) with a reminder due, takes a per-recipient advisory
   lock, and locks that household's pending reminders due now (and those due within the
   household window) with ``FOR UPDATE SKIP LOCKED``: two passes running at once split the
   households, never share one.
2. A reminder whose purpose is met completes itself instead of being sent (the vaccine was
   given, the matching visit is booked); one about a pet that died, or a cancelled or already
   started appointment, is cancelled.
3. The rest are grouped by recipient (the pet's owner): three pets of one household due in the
   same window make one message naming all three.
4. The dispatcher sends the group on the owner's channels with one dedup key, or says the owner
   is in quiet hours, in which case the reminders are moved to the first allowed instant.

Contents name the pets, the clinic and the date (and time, for visits) in the owner's zone.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, TypeVar

from sqlalchemy import Select, Text, Uuid, and_, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.exc import NoResultFound
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import (
    Appointment,
    Clinic,
    Pet,
    Prescription,
    Reminder,
    User,
    Vaccination,
)
from vet_core.models.enums import (
    ACTIVE_APPOINTMENT_STATUSES,
    AppointmentStatus,
    PetStatus,
    ReminderKind,
    ReminderStatus,
    ServiceType,
)
from vet_core.utils.time import to_zone, utcnow
from vet_services.notifications.dispatcher import (
    Dispatch,
    Dispatcher,
    DispatchOutcome,
    DispatchStatus,
    Notice,
)
from vet_services.notifications.preferences import read_preferences, user_timezone
from vet_services.notifications.templates import format_local, join_names
from vet_services.reminders.rules import (
    PlannedReminder,
    ReminderPolicy,
    appointment_reminders,
    parse_due_note,
    refill_reminders,
    vaccination_reminders,
    wellness_reminders,
)

_Row = TypeVar("_Row", Clinic, User)

TEMPLATE = "reminder"
UNKNOWN_CLINIC = "your veterinary clinic"

# --- planning ---------------------------------------------------------------------------------


async def policy_for(session: AsyncSession, clinic_id: uuid.UUID | None) -> ReminderPolicy:
    """The clinic's reminder policy (defaults without a clinic)."""
    if clinic_id is None:
        return ReminderPolicy()
    clinic = await session.get(Clinic, clinic_id)
    return ReminderPolicy.from_settings(clinic.settings if clinic else None)


async def _zone_of(session: AsyncSession, pet: Pet, clinic_id: uuid.UUID | None) -> tzinfo:
    """The owner's zone, else the clinic's: where "10 a.m. on the day" is meant."""
    owner = await session.get_one(User, pet.owner_id)
    clinic = await session.get(Clinic, clinic_id) if clinic_id else None
    return user_timezone(owner, clinic.timezone if clinic else None)


async def ensure_reminder(session: AsyncSession, planned: PlannedReminder) -> Reminder | None:
    """Create ``planned`` unless it exists; the new row, or ``None`` when it was already there."""
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(planned.source, 0)))
    )
    existing = await session.execute(
        select(Reminder.id)
        .where(
            Reminder.pet_id == planned.pet_id,
            Reminder.kind == planned.kind,
            Reminder.due_at == planned.due_at,
            Reminder.title == planned.title,
            Reminder.vaccination_id.is_not_distinct_from(planned.vaccination_id),
            Reminder.appointment_id.is_not_distinct_from(planned.appointment_id),
            Reminder.deleted_at.is_(None),
        )
        .limit(1)
    )
    if existing.scalar_one_or_none() is not None:
        return None
    reminder = Reminder(
        pet_id=planned.pet_id,
        kind=planned.kind,
        title=planned.title,
        notes=planned.notes,
        due_at=planned.due_at,
        vaccination_id=planned.vaccination_id,
        appointment_id=planned.appointment_id,
        status=ReminderStatus.PENDING,
    )
    session.add(reminder)
    await session.flush()
    return reminder


async def _ensure_all(
    session: AsyncSession, planned: Iterable[PlannedReminder], now: datetime
) -> list[Reminder]:
    created = []
    for item in planned:
        if item.due_at <= now:
            continue  # a lead time already behind us: the next one (if any) will do
        reminder = await ensure_reminder(session, item)
        if reminder is not None:
            created.append(reminder)
    return created


def _alive(pet: Pet | None) -> bool:
    return pet is not None and pet.status is not PetStatus.DECEASED and pet.deleted_at is None


async def plan_vaccination(
    session: AsyncSession, vaccination: Vaccination, now: datetime | None = None
) -> list[Reminder]:
    """Reminders before ``vaccination.next_due_on``; none for a pet that died."""
    pet = await session.get(Pet, vaccination.pet_id)
    if not _alive(pet) or pet is None:
        return []
    policy = await policy_for(session, vaccination.clinic_id)
    zone = await _zone_of(session, pet, vaccination.clinic_id)
    return await _ensure_all(
        session, vaccination_reminders(vaccination, policy, zone), now or utcnow()
    )


async def plan_appointment(
    session: AsyncSession, appointment: Appointment, now: datetime | None = None
) -> list[Reminder]:
    """Reminders before an active appointment (none for a cancelled or finished one)."""
    pet = await session.get(Pet, appointment.pet_id)
    if (
        not _alive(pet)
        or appointment.status not in ACTIVE_APPOINTMENT_STATUSES
        or appointment.deleted_at is not None
    ):
        return []
    policy = await policy_for(session, appointment.clinic_id)
    return await _ensure_all(session, appointment_reminders(appointment, policy), now or utcnow())


async def _clinic_of_pet(session: AsyncSession, pet_id: uuid.UUID) -> uuid.UUID | None:
    """The clinic the pet last visited (or is booked at): whose reminders the owner gets."""
    row = await session.execute(
        select(Appointment.clinic_id)
        .where(Appointment.pet_id == pet_id, Appointment.deleted_at.is_(None))
        .order_by(Appointment.starts_at.desc())
        .limit(1)
    )
    return row.scalar_one_or_none()


async def plan_prescription(
    session: AsyncSession, prescription: Prescription, now: datetime | None = None
) -> list[Reminder]:
    """Refill reminders before a current prescription's ``valid_until``."""
    pet = await session.get(Pet, prescription.pet_id)
    if not _alive(pet) or pet is None:
        return []
    clinic_id = None
    if prescription.appointment_id is not None:
        appointment = await session.get(Appointment, prescription.appointment_id)
        clinic_id = appointment.clinic_id if appointment else None
    clinic_id = clinic_id or await _clinic_of_pet(session, pet.id)
    policy = await policy_for(session, clinic_id)
    zone = await _zone_of(session, pet, clinic_id)
    return await _ensure_all(session, refill_reminders(prescription, policy, zone), now or utcnow())


async def plan_wellness(
    session: AsyncSession, pet: Pet, now: datetime | None = None
) -> list[Reminder]:
    """The annual exam reminder, counted from the pet's last completed wellness exam."""
    if not _alive(pet):
        return []
    row = await session.execute(
        select(Appointment.starts_at, Appointment.clinic_id)
        .where(
            Appointment.pet_id == pet.id,
            Appointment.service_type == ServiceType.WELLNESS_EXAM,
            Appointment.status == AppointmentStatus.COMPLETED,
            Appointment.deleted_at.is_(None),
        )
        .order_by(Appointment.starts_at.desc())
        .limit(1)
    )
    last = row.first()
    if last is None:
        return []
    policy = await policy_for(session, last.clinic_id)
    zone = await _zone_of(session, pet, last.clinic_id)
    planned = wellness_reminders(pet.id, to_zone(last.starts_at, zone).date(), policy, zone)
    return await _ensure_all(session, planned, now or utcnow())


async def plan_for_pet(
    session: AsyncSession, pet_id: uuid.UUID, now: datetime | None = None
) -> list[Reminder]:
    """Every reminder the rules want for one pet (safe to run after any change, any number of times).

    Only each vaccine's latest dose counts: an older dose's ``next_due_on`` was met by the newer.
    """
    now = now or utcnow()
    pet = await session.get(Pet, pet_id)
    if pet is None or not _alive(pet):
        return []
    created: list[Reminder] = []
    vaccinations = (
        await session.execute(
            select(Vaccination)
            .where(Vaccination.pet_id == pet_id, Vaccination.deleted_at.is_(None))
            .order_by(Vaccination.administered_at.desc())
        )
    ).scalars()
    seen: set[str] = set()
    for vaccination in vaccinations:
        name = vaccination.vaccine_name.strip().lower()
        if name in seen:
            continue
        seen.add(name)
        created += await plan_vaccination(session, vaccination, now)
    appointments = (
        await session.execute(
            select(Appointment).where(
                Appointment.pet_id == pet_id,
                Appointment.starts_at > now,
                Appointment.status.in_(ACTIVE_APPOINTMENT_STATUSES),
                Appointment.deleted_at.is_(None),
            )
        )
    ).scalars()
    for appointment in appointments:
        created += await plan_appointment(session, appointment, now)
    prescriptions = (
        await session.execute(
            select(Prescription).where(
                Prescription.pet_id == pet_id,
                Prescription.deleted_at.is_(None),
                Prescription.discontinued_at.is_(None),
            )
        )
    ).scalars()
    for prescription in prescriptions:
        created += await plan_prescription(session, prescription, now)
    created += await plan_wellness(session, pet, now)
    return created


# --- completion -------------------------------------------------------------------------------


def _booked(pet_id: uuid.UUID, services: Sequence[ServiceType], now: datetime) -> Select[Any]:
    return select(Appointment.id).where(
        Appointment.pet_id == pet_id,
        Appointment.service_type.in_(services),
        Appointment.status.in_(ACTIVE_APPOINTMENT_STATUSES),
        Appointment.starts_at >= now,
        Appointment.deleted_at.is_(None),
    )


async def _vaccine_settled(session: AsyncSession, reminder: Reminder, now: datetime) -> bool:
    """A later dose of the same vaccine was given, or a vaccination visit is booked."""
    if reminder.vaccination_id is not None:
        original = await session.get(Vaccination, reminder.vaccination_id)
        if original is not None:
            given = await session.execute(
                select(Vaccination.id)
                .where(
                    Vaccination.pet_id == reminder.pet_id,
                    Vaccination.id != original.id,
                    func.lower(Vaccination.vaccine_name) == original.vaccine_name.lower(),
                    Vaccination.administered_at > original.administered_at,
                    Vaccination.deleted_at.is_(None),
                )
                .limit(1)
            )
            if given.first() is not None:
                return True
    services = (ServiceType.VACCINATION, ServiceType.WELLNESS_EXAM)
    booked = await session.execute(_booked(reminder.pet_id, services, now).limit(1))
    return booked.first() is not None


async def _checkup_settled(session: AsyncSession, reminder: Reminder, now: datetime) -> bool:
    """A wellness exam is booked, or one took place since the reminder was made."""
    booked = await session.execute(
        _booked(reminder.pet_id, (ServiceType.WELLNESS_EXAM,), now).limit(1)
    )
    if booked.first() is not None:
        return True
    done = await session.execute(
        select(Appointment.id)
        .where(
            Appointment.pet_id == reminder.pet_id,
            Appointment.service_type == ServiceType.WELLNESS_EXAM,
            Appointment.status == AppointmentStatus.COMPLETED,
            Appointment.starts_at > reminder.created_at,
        )
        .limit(1)
    )
    return done.first() is not None


async def _appointment_moot(session: AsyncSession, reminder: Reminder, now: datetime) -> bool:
    """The appointment was cancelled, removed, or has already started."""
    if reminder.appointment_id is None:
        return False
    appointment = await session.get(Appointment, reminder.appointment_id)
    return (
        appointment is None
        or appointment.deleted_at is not None
        or appointment.status not in ACTIVE_APPOINTMENT_STATUSES
        or appointment.starts_at <= now
    )


async def resolution(
    session: AsyncSession, reminder: Reminder, pet: Pet | None, now: datetime
) -> ReminderStatus | None:
    """Whether ``reminder`` should stop instead of being sent: ``completed``, ``cancelled`` or not.

    * a pet that died (or was removed): cancelled, never a word about it;
    * vaccination: completed when a later dose of that vaccine was given, or a vaccination visit
      is booked;
    * wellness: completed when a wellness exam is booked, or one took place since it was made;
    * appointment: cancelled when the appointment was cancelled or has already started.
    """
    if not _alive(pet):
        return ReminderStatus.CANCELLED
    if reminder.kind is ReminderKind.VACCINATION and await _vaccine_settled(session, reminder, now):
        return ReminderStatus.COMPLETED
    if reminder.kind is ReminderKind.CHECKUP and await _checkup_settled(session, reminder, now):
        return ReminderStatus.COMPLETED
    if reminder.kind is ReminderKind.APPOINTMENT and await _appointment_moot(
        session, reminder, now
    ):
        return ReminderStatus.CANCELLED
    return None


async def complete_resolved(
    session: AsyncSession, pet_id: uuid.UUID, now: datetime | None = None
) -> int:
    """Settle the pending reminders of one pet right away (e.g. after a booking or a dose).

    The pass checks the same thing before sending; calling this from the booking or the
    vaccination workflow just makes the reminder list accurate sooner.
    """
    now = now or utcnow()
    pet = await session.get(Pet, pet_id)
    pending = (
        await session.execute(
            select(Reminder)
            .where(
                Reminder.pet_id == pet_id,
                Reminder.status == ReminderStatus.PENDING,
                Reminder.deleted_at.is_(None),
            )
            .with_for_update(skip_locked=True)
        )
    ).scalars()
    settled = 0
    for reminder in pending:
        status = await resolution(session, reminder, pet, now)
        if status is not None:
            _settle(reminder, status, now)
            settled += 1
    await session.flush()
    return settled


def _settle(reminder: Reminder, status: ReminderStatus, now: datetime) -> None:
    reminder.status = status
    if status is ReminderStatus.COMPLETED:
        reminder.completed_at = now


# --- the pass ---------------------------------------------------------------------------------


@dataclass
class PassReport:
    """What one pass did, by reminder id (for the worker's log and the tests)."""

    sent: list[uuid.UUID] = field(default_factory=list)
    completed: list[uuid.UUID] = field(default_factory=list)
    cancelled: list[uuid.UUID] = field(default_factory=list)
    deferred: list[uuid.UUID] = field(default_factory=list)
    skipped: list[uuid.UUID] = field(default_factory=list)
    messages: int = 0


@dataclass
class _Item:
    reminder: Reminder
    pet: Pet
    clinic: Clinic | None
    when: datetime | date | None


def _describe(item: _Item, zone: tzinfo, language: str) -> dict[str, Any]:
    when = item.when
    if isinstance(when, datetime):
        text = format_local(to_zone(when, zone), language)
    elif isinstance(when, date):
        midday = datetime(when.year, when.month, when.day, 12, tzinfo=zone)
        text = format_local(midday, language, with_time=False)
    else:
        text = format_local(to_zone(item.reminder.due_at, zone), language, with_time=False)
    notes = item.reminder.notes if parse_due_note(item.reminder.notes) is None else None
    return {
        "pet": item.pet.name,
        "title": item.reminder.title,
        "kind": item.reminder.kind.value,
        "when": text,
        "clinic": item.clinic.name if item.clinic else UNKNOWN_CLINIC,
        "notes": notes,
    }


def group_key(recipient_id: uuid.UUID, reminders: Sequence[Reminder]) -> str:
    """The dedup key of one household message: recipient, first due time, and which reminders."""
    first = min(r.due_at for r in reminders).astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    digest = hashlib.sha256(",".join(sorted(str(r.id) for r in reminders)).encode()).hexdigest()
    return f"reminders:{recipient_id}:{first}:{digest[:16]}"


def _lock_key(recipient_id: uuid.UUID) -> str:
    return f"reminders:{recipient_id}"


#: Each try-lock statement takes the locks of a whole list of households at once.
_TRY_LOCKS = text(
    "SELECT t.key, pg_try_advisory_xact_lock(hashtextextended(t.key, 0)) AS got"
    " FROM unnest(:keys) WITH ORDINALITY AS t(key, n) ORDER BY t.n"
).bindparams(bindparam("keys", type_=ARRAY(Text)))

#: How many due households a pass looks at per household it may serve: the ones other passes
#: hold right now are skipped, and the pass still fills its batch from the rest.
CANDIDATES_PER_SLOT = 4
#: Households served by the first round of a pass; each round after serves four times as many,
#: up to ``MAX_ROUND``. Small first rounds let passes that start together split the households
#: between them; larger ones later spread each round's few queries over many households.
FIRST_ROUND = 1
ROUND_GROWTH = 4
MAX_ROUND = 256


def _recipient() -> Any:
    """Who a reminder goes to: its own ``user_id``, else the pet's current primary owner."""
    return func.coalesce(Reminder.user_id, Pet.owner_id)


async def _due_recipients(session: AsyncSession, now: datetime, limit: int) -> list[uuid.UUID]:
    """Recipients with at least one pending reminder due, most overdue first (no locks taken)."""
    recipient = _recipient()
    rows = await session.execute(
        select(recipient)
        .select_from(Reminder)
        .join(Pet, Pet.id == Reminder.pet_id)
        .where(
            Reminder.status == ReminderStatus.PENDING,
            Reminder.deleted_at.is_(None),
            Reminder.due_at <= now,
        )
        .group_by(recipient)
        .order_by(func.min(Reminder.due_at))
        .limit(limit)
    )
    return list(rows.scalars())


async def _lock_next(
    session: AsyncSession, candidates: Sequence[uuid.UUID], position: int, wanted: int
) -> tuple[list[uuid.UUID], int]:
    """Up to ``wanted`` households from ``candidates[position:]`` whose advisory lock this
    transaction got, in order, and the position after the last one tried.

    Locks are only *tried* (never waited for), a list of households per statement, and never
    more are tried than are wanted, so no household is locked and then left unserved.
    """
    locked: list[uuid.UUID] = []
    while len(locked) < wanted and position < len(candidates):
        chunk = candidates[position : position + wanted - len(locked)]
        position += len(chunk)
        by_key = {_lock_key(recipient_id): recipient_id for recipient_id in chunk}
        rows = await session.execute(_TRY_LOCKS, {"keys": list(by_key)})
        locked += [by_key[key] for key, got in rows.all() if got]
    return locked, position


async def _household_reminders(
    session: AsyncSession, recipient_ids: Sequence[uuid.UUID], now: datetime, window: timedelta
) -> dict[uuid.UUID, list[tuple[Reminder, Pet]]]:
    """The recipients' pending reminders due now, or soon (except visits), locked for this pass;
    by recipient, each list in due order."""
    early_kinds = [k for k in ReminderKind if k is not ReminderKind.APPOINTMENT]
    # A join with the list (hashed) rather than ``IN (…)`` (compared one by one on every row).
    wanted = (
        func.unnest(bindparam("households", list(recipient_ids), type_=ARRAY(Uuid)))
        .table_valued("id")
        .render_derived(name="households")
    )
    rows = await session.execute(
        select(Reminder, Pet, wanted.c.id)
        .join(Pet, Pet.id == Reminder.pet_id)
        .join(wanted, wanted.c.id == _recipient())
        .where(
            Reminder.status == ReminderStatus.PENDING,
            Reminder.deleted_at.is_(None),
            Reminder.due_at <= now + max(window, timedelta(0)),
            (Reminder.due_at <= now)
            | and_(Reminder.due_at <= now + window, Reminder.kind.in_(early_kinds)),
        )
        .order_by(Reminder.due_at, Reminder.id)
        .with_for_update(of=Reminder, skip_locked=True)
    )
    households: dict[uuid.UUID, list[tuple[Reminder, Pet]]] = {}
    for reminder, pet, recipient_id in rows.all():
        households.setdefault(recipient_id, []).append((reminder, pet))
    return households


@dataclass
class _BatchFacts:
    """What the pass must know about a batch of reminders, read with a few set-based queries.

    Answers exactly what :func:`resolution` and the message contents ask of one reminder at a
    time (the rows behind ``appointment_id`` and ``vaccination_id``, later doses, bookings, the
    last wellness exam, the clinic of each pet), for the whole batch at once.
    """

    now: datetime
    appointments: dict[uuid.UUID, Appointment] = field(default_factory=dict)
    vaccinations: dict[uuid.UUID, tuple[Vaccination, str]] = field(default_factory=dict)
    #: Live doses per pet: (id, lower-cased vaccine name, administered at).
    doses: dict[uuid.UUID, list[tuple[uuid.UUID, str, datetime]]] = field(default_factory=dict)
    #: Service types each pet has an active booking from ``now`` on for.
    booked: dict[uuid.UUID, set[ServiceType]] = field(default_factory=dict)
    #: The last completed wellness exam of each pet.
    last_exam: dict[uuid.UUID, datetime] = field(default_factory=dict)

    @classmethod
    async def load(
        cls, session: AsyncSession, pairs: Sequence[tuple[Reminder, Pet]], now: datetime
    ) -> _BatchFacts:
        facts = cls(now)
        appointment_ids = {r.appointment_id for r, _ in pairs if r.appointment_id is not None}
        if appointment_ids:
            rows = await session.scalars(
                select(Appointment).where(Appointment.id.in_(appointment_ids))
            )
            facts.appointments = {appointment.id: appointment for appointment in rows}
        vaccination_ids = {r.vaccination_id for r, _ in pairs if r.vaccination_id is not None}
        if vaccination_ids:
            rows_v = await session.execute(
                select(Vaccination, func.lower(Vaccination.vaccine_name)).where(
                    Vaccination.id.in_(vaccination_ids)
                )
            )
            facts.vaccinations = {v.id: (v, name) for v, name in rows_v.all()}
        alive = [(r, p) for r, p in pairs if _alive(p)]
        dose_pets = {
            r.pet_id
            for r, _ in alive
            if r.kind is ReminderKind.VACCINATION and r.vaccination_id in facts.vaccinations
        }
        if dose_pets:
            rows_d = await session.execute(
                select(
                    Vaccination.pet_id,
                    Vaccination.id,
                    func.lower(Vaccination.vaccine_name),
                    Vaccination.administered_at,
                ).where(Vaccination.pet_id.in_(dose_pets), Vaccination.deleted_at.is_(None))
            )
            for pet_id, dose_id, name, given in rows_d.all():
                facts.doses.setdefault(pet_id, []).append((dose_id, name, given))
        booking_pets = {
            r.pet_id for r, _ in alive if r.kind in (ReminderKind.VACCINATION, ReminderKind.CHECKUP)
        }
        if booking_pets:
            services = (ServiceType.VACCINATION, ServiceType.WELLNESS_EXAM)
            rows_b = await session.execute(
                select(Appointment.pet_id, Appointment.service_type)
                .where(
                    Appointment.pet_id.in_(booking_pets),
                    Appointment.service_type.in_(services),
                    Appointment.status.in_(ACTIVE_APPOINTMENT_STATUSES),
                    Appointment.starts_at >= now,
                    Appointment.deleted_at.is_(None),
                )
                .distinct()
            )
            for pet_id, service in rows_b.all():
                facts.booked.setdefault(pet_id, set()).add(service)
        exam_pets = {r.pet_id for r, _ in alive if r.kind is ReminderKind.CHECKUP}
        if exam_pets:
            rows_e = await session.execute(
                select(Appointment.pet_id, func.max(Appointment.starts_at))
                .where(
                    Appointment.pet_id.in_(exam_pets),
                    Appointment.service_type == ServiceType.WELLNESS_EXAM,
                    Appointment.status == AppointmentStatus.COMPLETED,
                )
                .group_by(Appointment.pet_id)
            )
            facts.last_exam = {row[0]: row[1] for row in rows_e.all()}
        return facts

    def _is_booked(self, pet_id: uuid.UUID, *services: ServiceType) -> bool:
        return bool(self.booked.get(pet_id, set()).intersection(services))

    def resolution(self, reminder: Reminder, pet: Pet) -> ReminderStatus | None:
        """:func:`resolution`, answered from the batch's rows."""
        if not _alive(pet):
            return ReminderStatus.CANCELLED
        if reminder.kind is ReminderKind.VACCINATION and self._vaccine_settled(reminder):
            return ReminderStatus.COMPLETED
        if reminder.kind is ReminderKind.CHECKUP and (
            self._is_booked(reminder.pet_id, ServiceType.WELLNESS_EXAM)
            or self.last_exam.get(reminder.pet_id, reminder.created_at) > reminder.created_at
        ):
            return ReminderStatus.COMPLETED
        if reminder.kind is ReminderKind.APPOINTMENT and reminder.appointment_id is not None:
            appointment = self.appointments.get(reminder.appointment_id)
            if (
                appointment is None
                or appointment.deleted_at is not None
                or appointment.status not in ACTIVE_APPOINTMENT_STATUSES
                or appointment.starts_at <= self.now
            ):
                return ReminderStatus.CANCELLED
        return None

    def _vaccine_settled(self, reminder: Reminder) -> bool:
        known = self.vaccinations.get(reminder.vaccination_id) if reminder.vaccination_id else None
        if known is not None:
            original, name = known
            for dose_id, dose_name, given in self.doses.get(reminder.pet_id, []):
                if (
                    dose_id != original.id
                    and dose_name == name
                    and given > original.administered_at
                ):
                    return True
        return self._is_booked(reminder.pet_id, ServiceType.VACCINATION, ServiceType.WELLNESS_EXAM)

    def about(self, reminder: Reminder) -> tuple[uuid.UUID | None, datetime | date | None]:
        """The clinic (if its rows name one) and the moment the reminder's message is about."""
        clinic_id: uuid.UUID | None = None
        when: datetime | date | None = None
        if reminder.appointment_id is not None:
            appointment = self.appointments.get(reminder.appointment_id)
            if appointment is not None:
                clinic_id, when = appointment.clinic_id, appointment.starts_at
        if reminder.vaccination_id is not None:
            known = self.vaccinations.get(reminder.vaccination_id)
            if known is not None:
                vaccination = known[0]
                clinic_id, when = clinic_id or vaccination.clinic_id, vaccination.next_due_on
        return clinic_id, when or parse_due_note(reminder.notes)


async def _clinics_of_pets(
    session: AsyncSession, pet_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """:func:`_clinic_of_pet` for many pets: the clinic of each one's latest appointment."""
    wanted = set(pet_ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(Appointment.pet_id, Appointment.clinic_id)
        .where(Appointment.pet_id.in_(wanted), Appointment.deleted_at.is_(None))
        .order_by(Appointment.pet_id, Appointment.starts_at.desc())
        .ext(distinct_on(Appointment.pet_id))
    )
    return {row[0]: row[1] for row in rows.all()}


async def _by_id(
    session: AsyncSession, model: type[_Row], ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, _Row]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.scalars(select(model).where(model.id.in_(wanted)))
    return {row.id: row for row in rows}


async def run_reminder_pass(
    session: AsyncSession,
    now: datetime,
    dispatcher: Dispatcher,
    *,
    limit: int = 200,
    window: timedelta | None = None,
) -> PassReport:
    """Deliver the due reminders of up to ``limit`` households once; flushes, never commits.

    Locking goes household by household, always in the same order of steps: first a
    transaction-scoped advisory lock on the recipient (``pg_try_advisory_xact_lock``: a pass that
    cannot get it leaves the household to the pass that has it), then that household's reminder
    rows ``FOR UPDATE SKIP LOCKED``. Rows are re-read after the lock, so a household another pass
    has just served shows nothing pending any more. Since no pass ever waits for a lock, two
    passes can neither deadlock nor split a household between two messages.

    Households are served in rounds of growing size (1, 4, 16… up to :data:`MAX_ROUND`), each
    round for its whole list of households at once: one statement tries their advisory locks,
    one locks all their rows, a few set-based queries read what resolution and the messages
    need, and the dispatcher claims every message's delivery row in one statement before
    sending them one after the other.

    ``window`` (default 12 hours) pulls reminders due soon into the message of one due now, so a
    family gets one message instead of one per pet; visit reminders are never sent early.
    """
    window = timedelta(hours=ReminderPolicy().group_window_hours) if window is None else window
    report = PassReport()
    candidates = await _due_recipients(session, now, limit * CANDIDATES_PER_SLOT)
    position, served, size = 0, 0, FIRST_ROUND
    while served < limit and position < len(candidates):
        recipient_ids, position = await _lock_next(
            session, candidates, position, min(size, limit - served)
        )
        if recipient_ids:
            await _serve(session, recipient_ids, now, window, dispatcher, report)
        served += len(recipient_ids)
        size = min(size * ROUND_GROWTH, MAX_ROUND)
    await session.flush()
    return report


async def _serve(
    session: AsyncSession,
    recipient_ids: Sequence[uuid.UUID],
    now: datetime,
    window: timedelta,
    dispatcher: Dispatcher,
    report: PassReport,
) -> None:
    """Settle or send the reminders of households whose advisory locks this transaction holds."""
    households = await _household_reminders(session, recipient_ids, now, window)
    facts = await _BatchFacts.load(
        session, [pair for pairs in households.values() for pair in pairs], now
    )
    groups: list[tuple[uuid.UUID, list[tuple[Reminder, Pet, uuid.UUID | None, Any]]]] = []
    for recipient_id in recipient_ids:
        kept: list[tuple[Reminder, Pet, uuid.UUID | None, Any]] = []
        for reminder, pet in households.get(recipient_id, []):
            status = facts.resolution(reminder, pet)
            if status is None:
                kept.append((reminder, pet, *facts.about(reminder)))
                continue
            _settle(reminder, status, now)
            settled = report.completed if status is ReminderStatus.COMPLETED else report.cancelled
            settled.append(reminder.id)
        if any(reminder.due_at <= now for reminder, *_ in kept):
            groups.append((recipient_id, kept))
    if not groups:
        return
    pet_clinics = await _clinics_of_pets(
        session, (pet.id for _, kept in groups for _, pet, clinic_id, _ in kept if not clinic_id)
    )
    clinics = await _by_id(
        session,
        Clinic,
        (
            clinic_id or pet_clinics[pet.id]
            for _, kept in groups
            for _, pet, clinic_id, _ in kept
            if clinic_id or pet.id in pet_clinics
        ),
    )
    recipients = await _by_id(session, User, (recipient_id for recipient_id, _ in groups))
    batch: list[tuple[Dispatch, list[Reminder]]] = []
    for recipient_id, kept in groups:
        items = []
        for reminder, pet, named_clinic, when in kept:
            clinic_id = named_clinic or pet_clinics.get(pet.id)
            items.append(_Item(reminder, pet, clinics.get(clinic_id) if clinic_id else None, when))
        recipient = recipients.get(recipient_id)
        if recipient is None:
            raise NoResultFound(f"no user {recipient_id} for reminders")
        batch.append(_dispatch_for(recipient, items))
    outcomes = await dispatcher.dispatch_many(session, [d for d, _ in batch], now=now)
    for (_, reminders), outcome in zip(batch, outcomes, strict=True):
        _record(reminders, outcome, now, report)


def _dispatch_for(recipient: User, items: list[_Item]) -> tuple[Dispatch, list[Reminder]]:
    """One household's message: its contents, dedup key and the reminders it carries."""
    items.sort(key=lambda item: (item.pet.name.lower(), item.reminder.due_at))
    ids = [item.reminder.id for item in items]
    clinics = list(
        dict.fromkeys(item.clinic.name if item.clinic else UNKNOWN_CLINIC for item in items)
    )
    first_clinic = next((item.clinic for item in items if item.clinic), None)
    zone = user_timezone(recipient, first_clinic.timezone if first_clinic else None)
    language = read_preferences(recipient).language
    pet_names = list(dict.fromkeys(item.pet.name for item in items))
    context = {
        "recipient_name": recipient.first_name,
        "items": [_describe(item, zone, language) for item in items],
        "pet_names": join_names(pet_names, language),
        "clinic_names": join_names(clinics, language),
    }
    reminders = [item.reminder for item in items]
    notice = Notice(
        template=TEMPLATE,
        context=context,
        reminder_id=ids[0],
        appointment_id=next((r.appointment_id for r in reminders if r.appointment_id), None),
        data={"reminder_ids": ",".join(str(i) for i in ids)},
    )
    request = Dispatch(
        recipient=recipient,
        notice=notice,
        dedup_key=group_key(recipient.id, reminders),
        due_at=min(r.due_at for r in reminders),
        pets=[item.pet for item in items],
        fallback_timezone=first_clinic.timezone if first_clinic else None,
    )
    return request, reminders


def _record(
    reminders: list[Reminder], outcome: DispatchOutcome, now: datetime, report: PassReport
) -> None:
    """What the dispatcher did with a household's message, on its reminders and the report."""
    ids = [reminder.id for reminder in reminders]
    if outcome.status is DispatchStatus.DEFERRED and outcome.not_before is not None:
        for reminder in reminders:
            reminder.due_at = max(reminder.due_at, outcome.not_before)
        report.deferred += ids
    elif outcome.status is DispatchStatus.SKIPPED:
        # An inactive owner or no way to reach them: do not try again every few minutes.
        for reminder in reminders:
            reminder.status = ReminderStatus.CANCELLED
        report.skipped += ids
    else:
        for reminder in reminders:
            reminder.status = ReminderStatus.SENT
            reminder.sent_at = now
        report.sent += ids
        if any(not channel.duplicate for channel in outcome.channels):
            report.messages += 1


__all__ = [
    "PassReport",
    "complete_resolved",
    "ensure_reminder",
    "group_key",
    "plan_appointment",
    "plan_for_pet",
    "plan_prescription",
    "plan_vaccination",
    "plan_wellness",
    "policy_for",
    "resolution",
    "run_reminder_pass",
]
