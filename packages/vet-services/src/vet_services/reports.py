"""Clinic reports: appointments by status and day, no-show rate, revenue, vaccination compliance.

Definitions, stated once because a number without its definition is an argument waiting to happen:

* **Days** are the clinic's local calendar days (``starts_at AT TIME ZONE clinics.timezone``); a
  period ``first``–``last`` is inclusive and its bounds are the clinic's local midnights (DST-safe).
* **No-show rate** = no-shows / (completed + no-shows) among appointments of the period: only
  visits that were due and not cancelled count; ``None`` when there were none.
* **Revenue** is per currency, in minor units, from payments that succeeded (including those
  later refunded) for the clinic's appointments, orders or invoices, by ``paid_at`` in the period:
  gross, refunded and net. Currencies are never added together.
* **Vaccination compliance**: among the clinic's *patients* (active pets with an appointment at
  the clinic in the 24 months before ``as_of``, cancellations excluded), the share with no overdue
  vaccination, i.e. for every vaccine the pet has had, its latest dose's ``next_due_on`` is not
  before ``as_of``. A pet never vaccinated has nothing overdue in this sense.

CSV export flattens every figure into ``section,day,status,currency,value`` rows.

Big files are not built in a request: :func:`request_export` (a clinic's report) and
:func:`request_owner_export` (a pet owner's own data) check the caller and write a
``reports.export`` job to the outbox; the worker builds the file, stores it and sends the caller a
download link (:func:`vet_services.exports.build_export`).
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import NotFoundException, SchemaValidationException
from vet_core.models.clinics import Clinic
from vet_core.models.enums import AppointmentStatus
from vet_core.utils.time import local_day_bounds
from vet_services.auth.permissions import Action, Actor, Resource, authorize
from vet_services.outbox import enqueue

#: Longest period one report covers: longer ones are a data export, not a report.
MAX_PERIOD_DAYS = 366
PATIENT_LOOKBACK = timedelta(days=730)

#: The outbox topic (task name) of an export, and the kinds of export it builds.
EXPORT_TOPIC = "reports.export"
EXPORT_CLINIC_REPORT = "clinic_report"
EXPORT_OWNER_DATA = "owner_data"
EXPORT_KINDS = frozenset({EXPORT_CLINIC_REPORT, EXPORT_OWNER_DATA})


@dataclass(frozen=True, slots=True)
class DayStatusCount:
    day: date
    status: AppointmentStatus
    count: int


@dataclass(frozen=True, slots=True)
class NoShowRate:
    no_shows: int
    completed: int
    rate: Decimal | None  # 0–1, four decimals


@dataclass(frozen=True, slots=True)
class Revenue:
    currency: str
    gross: int
    refunded: int
    net: int
    payments: int


@dataclass(frozen=True, slots=True)
class VaccinationCompliance:
    patients: int
    compliant: int
    share: Decimal | None  # 0–1, four decimals


@dataclass(frozen=True, slots=True)
class ClinicReport:
    clinic_id: uuid.UUID
    timezone: str
    first_day: date
    last_day: date
    appointments: list[DayStatusCount]
    no_show: NoShowRate
    revenue: list[Revenue]
    vaccination: VaccinationCompliance


def _share(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


async def _clinic_for_report(session: AsyncSession, actor: Actor, clinic_id: uuid.UUID) -> Clinic:
    authorize(actor, Action.REPORT_READ, Resource.of("clinic", clinic_id, clinics=[clinic_id]))
    clinic = (
        await session.execute(select(Clinic).where(Clinic.id == clinic_id, Clinic.not_deleted()))
    ).scalar_one_or_none()
    if clinic is None:
        raise NotFoundException("Clinic not found", code="CLINIC_NOT_FOUND")
    return clinic


def _period(clinic: Clinic, first_day: date, last_day: date) -> tuple[datetime, datetime]:
    days = (last_day - first_day).days + 1
    if not 1 <= days <= MAX_PERIOD_DAYS:
        raise SchemaValidationException(
            f"a report covers 1 to {MAX_PERIOD_DAYS} days, last_day not before first_day",
            details={"field": "last_day"},
        )
    return local_day_bounds(first_day, clinic.timezone)[0], local_day_bounds(
        last_day, clinic.timezone
    )[1]


async def _appointments(
    session: AsyncSession, clinic: Clinic, start: datetime, end: datetime
) -> list[DayStatusCount]:
    rows = await session.execute(
        text(
            "SELECT (a.starts_at AT TIME ZONE :tz)::date AS day, a.status, count(*) AS n"
            " FROM appointments a"
            " WHERE a.clinic_id = :clinic AND a.deleted_at IS NULL"
            " AND a.starts_at >= :start AND a.starts_at < :end"
            " GROUP BY 1, 2 ORDER BY 1, 2"
        ),
        {"tz": clinic.timezone, "clinic": clinic.id, "start": start, "end": end},
    )
    return [DayStatusCount(row.day, AppointmentStatus(row.status), int(row.n)) for row in rows]


def _no_show(counts: list[DayStatusCount]) -> NoShowRate:
    no_shows = sum(c.count for c in counts if c.status is AppointmentStatus.NO_SHOW)
    completed = sum(c.count for c in counts if c.status is AppointmentStatus.COMPLETED)
    return NoShowRate(no_shows, completed, _share(no_shows, no_shows + completed))


async def _revenue(
    session: AsyncSession, clinic: Clinic, start: datetime, end: datetime
) -> list[Revenue]:
    rows = await session.execute(
        text(
            "SELECT p.currency, sum(p.amount) AS gross, sum(p.amount_refunded) AS refunded,"
            " count(*) AS n"
            " FROM payments p"
            " LEFT JOIN appointments a ON a.id = p.appointment_id"
            " LEFT JOIN orders o ON o.id = p.order_id"
            " LEFT JOIN invoices i ON i.id = p.invoice_id"
            " WHERE (a.clinic_id = :clinic OR o.clinic_id = :clinic OR i.clinic_id = :clinic)"
            " AND p.status IN ('succeeded', 'partially_refunded', 'refunded')"
            " AND p.paid_at >= :start AND p.paid_at < :end"
            " GROUP BY p.currency ORDER BY p.currency"
        ),
        {"clinic": clinic.id, "start": start, "end": end},
    )
    return [
        Revenue(
            currency=row.currency,
            gross=int(row.gross),
            refunded=int(row.refunded),
            net=int(row.gross) - int(row.refunded),
            payments=int(row.n),
        )
        for row in rows
    ]


async def _vaccination(session: AsyncSession, clinic: Clinic, as_of: date) -> VaccinationCompliance:
    as_of_start = local_day_bounds(as_of, clinic.timezone)[1]
    row = (
        await session.execute(
            text(
                "WITH patients AS ("
                "  SELECT DISTINCT a.pet_id FROM appointments a"
                "  JOIN pets p ON p.id = a.pet_id AND p.deleted_at IS NULL AND p.status = 'active'"
                "  WHERE a.clinic_id = :clinic AND a.deleted_at IS NULL AND a.status <> 'cancelled'"
                "  AND a.starts_at >= :since AND a.starts_at < :until"
                "), latest AS ("
                "  SELECT DISTINCT ON (v.pet_id, lower(v.vaccine_name)) v.pet_id, v.next_due_on"
                "  FROM vaccinations v JOIN patients USING (pet_id)"
                "  WHERE v.deleted_at IS NULL AND v.administered_at < :until"
                "  ORDER BY v.pet_id, lower(v.vaccine_name), v.administered_at DESC"
                ")"
                " SELECT count(*) AS patients,"
                " count(*) FILTER (WHERE NOT EXISTS ("
                "   SELECT 1 FROM latest l WHERE l.pet_id = patients.pet_id"
                "   AND l.next_due_on < :as_of)) AS compliant"
                " FROM patients"
            ),
            {
                "clinic": clinic.id,
                "since": as_of_start - PATIENT_LOOKBACK,
                "until": as_of_start,
                "as_of": as_of,
            },
        )
    ).one()
    return VaccinationCompliance(
        int(row.patients), int(row.compliant), _share(int(row.compliant), int(row.patients))
    )


async def clinic_report(
    session: AsyncSession,
    actor: Actor,
    clinic_id: uuid.UUID,
    *,
    first_day: date,
    last_day: date,
    as_of: date | None = None,
) -> ClinicReport:
    """Every figure of the clinic's report for the local days ``first_day``–``last_day``.

    ``as_of`` (default ``last_day``) is the day vaccination compliance is judged on.
    """
    clinic = await _clinic_for_report(session, actor, clinic_id)
    start, end = _period(clinic, first_day, last_day)
    appointments = await _appointments(session, clinic, start, end)
    return ClinicReport(
        clinic_id=clinic.id,
        timezone=clinic.timezone,
        first_day=first_day,
        last_day=last_day,
        appointments=appointments,
        no_show=_no_show(appointments),
        revenue=await _revenue(session, clinic, start, end),
        vaccination=await _vaccination(session, clinic, as_of or last_day),
    )


CSV_HEADER = ("section", "day", "status", "currency", "value")


def report_csv(report: ClinicReport) -> str:
    """The report as CSV text (``section,day,status,currency,value``), UTF-8 safe, RFC 4180."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for item in report.appointments:
        writer.writerow(("appointments", item.day.isoformat(), item.status.value, "", item.count))
    rate = report.no_show.rate
    writer.writerow(("no_show_rate", "", "", "", "" if rate is None else str(rate)))
    writer.writerow(("no_shows", "", "", "", report.no_show.no_shows))
    writer.writerow(("completed", "", "", "", report.no_show.completed))
    for revenue in report.revenue:
        writer.writerow(("revenue_gross", "", "", revenue.currency, revenue.gross))
        writer.writerow(("revenue_refunded", "", "", revenue.currency, revenue.refunded))
        writer.writerow(("revenue_net", "", "", revenue.currency, revenue.net))
    share = report.vaccination.share
    writer.writerow(("vaccination_patients", "", "", "", report.vaccination.patients))
    writer.writerow(("vaccination_compliant", "", "", "", report.vaccination.compliant))
    writer.writerow(("vaccination_compliance", "", "", "", "" if share is None else str(share)))
    return buffer.getvalue()


def report_csv_bytes(report: ClinicReport) -> bytes:
    """:func:`report_csv` encoded as UTF-8 with a BOM, so spreadsheet programs read accents."""
    return report_csv(report).encode("utf-8-sig")


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """An export on its way: its id (in the file's key and the notice) and what it is."""

    export_id: uuid.UUID
    kind: str


def export_payload(
    *,
    export_id: uuid.UUID,
    kind: str,
    user_id: uuid.UUID,
    clinic_id: uuid.UUID | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
) -> dict[str, str | None]:
    """The ``reports.export`` job's payload (JSON: ids and days as strings)."""
    return {
        "export_id": str(export_id),
        "kind": kind,
        "user_id": str(user_id),
        "clinic_id": str(clinic_id) if clinic_id else None,
        "first_day": first_day.isoformat() if first_day else None,
        "last_day": last_day.isoformat() if last_day else None,
    }


def _requester(actor: Actor) -> uuid.UUID:
    if actor.user_id is None:
        # An API key has no mailbox: the link would reach nobody.
        raise SchemaValidationException(
            "exports are sent to a signed-in user", details={"field": "actor"}
        )
    return actor.user_id


async def request_export(
    session: AsyncSession,
    actor: Actor,
    clinic_id: uuid.UUID,
    kind: str = EXPORT_CLINIC_REPORT,
    *,
    first_day: date,
    last_day: date,
    export_id: uuid.UUID | None = None,
) -> ExportRequest:
    """Ask for the clinic's report of ``first_day``–``last_day`` as a CSV sent by e-mail.

    Checked now as :func:`clinic_report` would (``report:read`` on the clinic, a valid period)
    and again when built. ``export_id`` (e.g. from the request's idempotency key) makes asking
    twice one export.
    """
    if kind != EXPORT_CLINIC_REPORT:
        raise SchemaValidationException(
            f"a clinic export is one of: {EXPORT_CLINIC_REPORT}", details={"field": "kind"}
        )
    user_id = _requester(actor)
    clinic = await _clinic_for_report(session, actor, clinic_id)
    _period(clinic, first_day, last_day)
    export_id = export_id or uuid.uuid4()
    await enqueue(
        session,
        EXPORT_TOPIC,
        export_payload(
            export_id=export_id,
            kind=kind,
            user_id=user_id,
            clinic_id=clinic.id,
            first_day=first_day,
            last_day=last_day,
        ),
        dedup_key=f"{EXPORT_TOPIC}:{export_id}",
    )
    return ExportRequest(export_id, kind)


async def request_owner_export(
    session: AsyncSession, actor: Actor, *, export_id: uuid.UUID | None = None
) -> ExportRequest:
    """Ask for the caller's own pets and their records as a ZIP of CSV files, sent by e-mail."""
    user_id = _requester(actor)
    export_id = export_id or uuid.uuid4()
    await enqueue(
        session,
        EXPORT_TOPIC,
        export_payload(export_id=export_id, kind=EXPORT_OWNER_DATA, user_id=user_id),
        dedup_key=f"{EXPORT_TOPIC}:{export_id}",
    )
    return ExportRequest(export_id, EXPORT_OWNER_DATA)


__all__ = [
    "CSV_HEADER",
    "EXPORT_CLINIC_REPORT",
    "EXPORT_KINDS",
    "EXPORT_OWNER_DATA",
    "EXPORT_TOPIC",
    "MAX_PERIOD_DAYS",
    "ClinicReport",
    "DayStatusCount",
    "ExportRequest",
    "NoShowRate",
    "Revenue",
    "VaccinationCompliance",
    "clinic_report",
    "export_payload",
    "report_csv",
    "report_csv_bytes",
    "request_export",
    "request_owner_export",
]
