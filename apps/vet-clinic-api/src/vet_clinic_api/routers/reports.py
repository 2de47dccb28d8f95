"""``/clinics/{clinic_id}/reports``: a clinic's figures for its admins, as JSON or CSV, or by e-mail.

Days are the clinic's local calendar days, ``first_day``–``last_day`` inclusive; the definitions
of every figure are in :mod:`vet_services.reports`. ``?format=csv`` answers ``text/csv`` with the
rows ``section,day,status,currency,value`` of the figures the route is about.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel

from vet_clinic_api.deps import ActorDep, ReadSessionDep, SessionDep
from vet_clinic_api.errors import responses
from vet_clinic_api.exports import ExportAccepted, accepted, export_id_for
from vet_clinic_api.idempotency import IdempotencyKey
from vet_core.models.enums import AppointmentStatus
from vet_services.reports import (
    CSV_HEADER,
    ClinicReport,
    clinic_report,
    report_csv,
    request_export,
)

router = APIRouter(prefix="/clinics/{clinic_id}/reports", tags=["reports"], responses=responses())

Format = Annotated[
    Literal["json", "csv"], Query(alias="format", description="`csv` for a spreadsheet")
]
FirstDay = Annotated[date, Query(description="first local day of the period")]
LastDay = Annotated[date, Query(description="last local day of the period (inclusive)")]


def _csv_response(*, response_model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": f"{response_model.__name__}, or CSV with `format=csv`",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }


class Period(BaseModel):
    clinic_id: uuid.UUID
    timezone: str
    first_day: date
    last_day: date


class DayStatusCountResponse(BaseModel):
    day: date
    status: AppointmentStatus
    count: int


class AppointmentsReport(Period):
    """Appointments starting in the period, by local day and status."""

    appointments: list[DayStatusCountResponse]


class NoShowReport(Period):
    """No-shows / (completed + no-shows); ``rate`` is null when nothing was due."""

    no_shows: int
    completed: int
    rate: float | None


class RevenueResponse(BaseModel):
    currency: str
    gross: int
    refunded: int
    net: int
    payments: int


class RevenueReport(Period):
    """Succeeded payments by currency, in minor units (currencies are never added together)."""

    revenue: list[RevenueResponse]


class VaccinationReport(Period):
    """Share of the clinic's patients with no overdue vaccination on ``as_of``."""

    as_of: date
    patients: int
    compliant: int
    share: float | None


class FullReport(Period):
    """Every figure of the period."""

    appointments: list[DayStatusCountResponse]
    no_show: NoShowReport
    revenue: list[RevenueResponse]
    vaccination: VaccinationReport


def _period(report: ClinicReport) -> dict[str, Any]:
    return {
        "clinic_id": report.clinic_id,
        "timezone": report.timezone,
        "first_day": report.first_day,
        "last_day": report.last_day,
    }


def _appointments(report: ClinicReport) -> AppointmentsReport:
    return AppointmentsReport(
        **_period(report),
        appointments=[
            DayStatusCountResponse(day=c.day, status=c.status, count=c.count)
            for c in report.appointments
        ],
    )


def _no_shows(report: ClinicReport) -> NoShowReport:
    rate = report.no_show.rate
    return NoShowReport(
        **_period(report),
        no_shows=report.no_show.no_shows,
        completed=report.no_show.completed,
        rate=None if rate is None else float(rate),
    )


def _revenue(report: ClinicReport) -> RevenueReport:
    return RevenueReport(
        **_period(report),
        revenue=[
            RevenueResponse(
                currency=r.currency,
                gross=r.gross,
                refunded=r.refunded,
                net=r.net,
                payments=r.payments,
            )
            for r in report.revenue
        ],
    )


def _vaccination(report: ClinicReport, as_of: date) -> VaccinationReport:
    share = report.vaccination.share
    return VaccinationReport(
        **_period(report),
        as_of=as_of,
        patients=report.vaccination.patients,
        compliant=report.vaccination.compliant,
        share=None if share is None else float(share),
    )


#: The CSV sections of each route (the service's CSV holds them all).
_SECTIONS = {
    "appointments": {"appointments"},
    "no-shows": {"no_show_rate", "no_shows", "completed"},
    "revenue": {"revenue_gross", "revenue_refunded", "revenue_net"},
    "vaccination-compliance": {
        "vaccination_patients",
        "vaccination_compliant",
        "vaccination_compliance",
    },
}


def _csv(report: ClinicReport, part: str | None, clinic_id: uuid.UUID) -> Response:
    rows = list(csv.reader(io.StringIO(report_csv(report))))
    wanted = None if part is None else _SECTIONS[part]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(row for row in rows[1:] if wanted is None or row[0] in wanted)
    name = f"clinic-{clinic_id}-{part or 'report'}-{report.first_day}-{report.last_day}.csv"
    return Response(
        content=buffer.getvalue().encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("", response_model=FullReport, responses=_csv_response(response_model=FullReport))
async def full_report(
    clinic_id: uuid.UUID,
    actor: ActorDep,
    session: ReadSessionDep,
    first_day: FirstDay,
    last_day: LastDay,
    as_of: date | None = None,
    output: Format = "json",
) -> Any:
    """Every figure of the period (``as_of``, default ``last_day``, for vaccinations)."""
    report = await clinic_report(
        session, actor, clinic_id, first_day=first_day, last_day=last_day, as_of=as_of
    )
    if output == "csv":
        return _csv(report, None, clinic_id)
    return FullReport(
        **_period(report),
        appointments=_appointments(report).appointments,
        no_show=_no_shows(report),
        revenue=_revenue(report).revenue,
        vaccination=_vaccination(report, as_of or last_day),
    )


@router.get(
    "/appointments",
    response_model=AppointmentsReport,
    responses=_csv_response(response_model=AppointmentsReport),
)
async def appointments_report(
    clinic_id: uuid.UUID,
    actor: ActorDep,
    session: ReadSessionDep,
    first_day: FirstDay,
    last_day: LastDay,
    output: Format = "json",
) -> Any:
    """Appointments of the period by local day and status."""
    report = await clinic_report(session, actor, clinic_id, first_day=first_day, last_day=last_day)
    return _csv(report, "appointments", clinic_id) if output == "csv" else _appointments(report)


@router.get(
    "/no-shows", response_model=NoShowReport, responses=_csv_response(response_model=NoShowReport)
)
async def no_show_report(
    clinic_id: uuid.UUID,
    actor: ActorDep,
    session: ReadSessionDep,
    first_day: FirstDay,
    last_day: LastDay,
    output: Format = "json",
) -> Any:
    """The no-show rate of the period."""
    report = await clinic_report(session, actor, clinic_id, first_day=first_day, last_day=last_day)
    return _csv(report, "no-shows", clinic_id) if output == "csv" else _no_shows(report)


@router.get(
    "/revenue", response_model=RevenueReport, responses=_csv_response(response_model=RevenueReport)
)
async def revenue_report(
    clinic_id: uuid.UUID,
    actor: ActorDep,
    session: ReadSessionDep,
    first_day: FirstDay,
    last_day: LastDay,
    output: Format = "json",
) -> Any:
    """Gross, refunded and net revenue of the period, per currency."""
    report = await clinic_report(session, actor, clinic_id, first_day=first_day, last_day=last_day)
    return _csv(report, "revenue", clinic_id) if output == "csv" else _revenue(report)


@router.get(
    "/vaccination-compliance",
    response_model=VaccinationReport,
    responses=_csv_response(response_model=VaccinationReport),
)
async def vaccination_report(
    clinic_id: uuid.UUID,
    actor: ActorDep,
    session: ReadSessionDep,
    as_of: Annotated[date, Query(description="the day compliance is judged on")],
    output: Format = "json",
) -> Any:
    """The share of the clinic's patients with no overdue vaccination on ``as_of``."""
    report = await clinic_report(session, actor, clinic_id, first_day=as_of, last_day=as_of)
    if output == "csv":
        return _csv(report, "vaccination-compliance", clinic_id)
    return _vaccination(report, as_of)


class ExportPeriod(BaseModel):
    """The local days of the report to send (inclusive)."""

    first_day: date
    last_day: date


@router.post(
    "/exports",
    response_model=ExportAccepted,
    status_code=status.HTTP_202_ACCEPTED,
)
async def export_report(
    clinic_id: uuid.UUID,
    body: ExportPeriod,
    actor: ActorDep,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> ExportAccepted:
    """E-mail the caller a link to the period's full report as CSV (built in the background)."""
    export = await request_export(
        session,
        actor,
        clinic_id,
        first_day=body.first_day,
        last_day=body.last_day,
        export_id=export_id_for(str(actor.user_id), idempotency_key),
    )
    return accepted(export)
