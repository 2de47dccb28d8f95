"""Clinic reports: counts by local day and status, no-show rate, revenue, compliance, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from report_builders import ReportBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import NotFoundException, PermissionDeniedException
from vet_core.models.enums import AppointmentStatus, PaymentStatus, PetStatus, StaffRole, UserRole
from vet_services.auth.permissions import Actor
from vet_services.reports import (
    CSV_HEADER,
    DayStatusCount,
    clinic_report,
    report_csv,
    report_csv_bytes,
)

JAN_5 = date(2026, 1, 5)
JAN_6 = date(2026, 1, 6)


def utc(day: int, hour: int) -> datetime:
    return datetime(2026, 1, day, hour, tzinfo=UTC)


async def test_appointments_are_counted_by_local_day_and_status(
    db_session: AsyncSession, reports: ReportBuilder
) -> None:
    clinic = await reports.clinic()
    admin = await reports.staff(clinic, StaffRole.CLINIC_ADMIN)
    vet = await reports.veterinarian(clinic)
    await reports.visit(clinic, vet, utc(5, 18))  # 10:00 on the 5th in Los Angeles
    await reports.visit(clinic, vet, utc(6, 3))  # 19:00 on the 5th in Los Angeles
    await reports.visit(clinic, vet, utc(6, 18), AppointmentStatus.NO_SHOW)
    await reports.visit(clinic, vet, utc(6, 19), AppointmentStatus.CANCELLED)
    await reports.visit(clinic, vet, utc(8, 18))  # outside the period

    report = await clinic_report(db_session, admin, clinic.id, first_day=JAN_5, last_day=JAN_6)

    assert report.appointments == [
        DayStatusCount(JAN_5, AppointmentStatus.COMPLETED, 2),
        DayStatusCount(JAN_6, AppointmentStatus.CANCELLED, 1),
        DayStatusCount(JAN_6, AppointmentStatus.NO_SHOW, 1),
    ]
    # One no-show among three due visits; the cancellation does not count.
    assert report.no_show.no_shows == 1
    assert report.no_show.completed == 2
    assert report.no_show.rate == Decimal("0.3333")


async def test_revenue_is_per_currency_in_minor_units_net_of_refunds(
    db_session: AsyncSession, reports: ReportBuilder
) -> None:
    clinic = await reports.clinic()
    admin = await reports.staff(clinic, StaffRole.CLINIC_ADMIN)
    vet = await reports.veterinarian(clinic)
    visit = await reports.visit(clinic, vet, utc(5, 18))
    await reports.payment(amount=12_500, currency="USD", paid_at=utc(5, 19), appointment=visit)
    await reports.payment(
        amount=4_000,
        currency="USD",
        paid_at=utc(6, 1),
        appointment=visit,
        refunded=1_500,
        status=PaymentStatus.PARTIALLY_REFUNDED,
    )
    await reports.payment(
        amount=9_999,
        currency="USD",
        paid_at=utc(5, 20),
        appointment=visit,
        status=PaymentStatus.FAILED,
    )
    order = await reports.order(clinic, "JPY")
    await reports.payment(amount=3_000, currency="JPY", paid_at=utc(6, 20), order=order)
    await reports.payment(amount=777, currency="USD", paid_at=utc(9, 20), appointment=visit)
    other_clinic = await reports.clinic()
    other_visit = await reports.visit(
        other_clinic, await reports.veterinarian(other_clinic), utc(5, 18)
    )
    await reports.payment(
        amount=50_000, currency="USD", paid_at=utc(5, 19), appointment=other_visit
    )

    report = await clinic_report(db_session, admin, clinic.id, first_day=JAN_5, last_day=JAN_6)

    by_currency = {r.currency: (r.gross, r.refunded, r.net, r.payments) for r in report.revenue}
    assert by_currency == {"JPY": (3_000, 0, 3_000, 1), "USD": (16_500, 1_500, 15_000, 2)}


async def test_vaccination_compliance_counts_active_patients_without_overdue_doses(
    db_session: AsyncSession, reports: ReportBuilder
) -> None:
    clinic = await reports.clinic()
    admin = await reports.staff(clinic, StaffRole.CLINIC_ADMIN)
    vet = await reports.veterinarian(clinic)
    up_to_date, overdue, renewed, never = [await reports.pet() for _ in range(4)]
    deceased = await reports.pet(PetStatus.DECEASED)
    for pet in (up_to_date, overdue, renewed, never, deceased):
        await reports.visit(clinic, vet, utc(2, 18), pet=pet)
    await reports.vaccination(up_to_date, "Rabies", date(2025, 6, 1), date(2026, 6, 1))
    await reports.vaccination(overdue, "Rabies", date(2024, 12, 1), date(2025, 12, 1))
    await reports.vaccination(renewed, "DHPP", date(2024, 12, 1), date(2025, 12, 1))
    await reports.vaccination(renewed, "dhpp", date(2025, 12, 20), date(2026, 12, 20))
    await reports.vaccination(deceased, "Rabies", date(2024, 1, 1), date(2025, 1, 1))

    report = await clinic_report(db_session, admin, clinic.id, first_day=JAN_5, last_day=JAN_6)

    # Patients: four active pets (the deceased one is not counted); one of them is overdue.
    assert (report.vaccination.patients, report.vaccination.compliant) == (4, 3)
    assert report.vaccination.share == Decimal("0.7500")


async def test_csv_export_lists_every_figure(
    db_session: AsyncSession, reports: ReportBuilder
) -> None:
    clinic = await reports.clinic()
    admin = await reports.staff(clinic, StaffRole.CLINIC_ADMIN)
    vet = await reports.veterinarian(clinic)
    visit = await reports.visit(clinic, vet, utc(5, 18))
    await reports.visit(clinic, vet, utc(5, 19), AppointmentStatus.NO_SHOW)
    await reports.payment(amount=12_500, currency="USD", paid_at=utc(5, 19), appointment=visit)

    report = await clinic_report(db_session, admin, clinic.id, first_day=JAN_5, last_day=JAN_6)
    rows = list(csv.reader(io.StringIO(report_csv(report))))

    assert tuple(rows[0]) == CSV_HEADER
    assert ["appointments", "2026-01-05", "completed", "", "1"] in rows
    assert ["appointments", "2026-01-05", "no_show", "", "1"] in rows
    assert ["no_show_rate", "", "", "", "0.5000"] in rows
    assert ["revenue_net", "", "", "USD", "12500"] in rows
    assert ["vaccination_compliance", "", "", "", "1.0000"] in rows
    assert report_csv_bytes(report).startswith(b"\xef\xbb\xbfsection,day")


async def test_only_clinic_admins_of_that_clinic_read_reports(
    db_session: AsyncSession, reports: ReportBuilder
) -> None:
    clinic = await reports.clinic()
    receptionist = await reports.staff(clinic, StaffRole.RECEPTIONIST)
    other_admin = await reports.staff(await reports.clinic(), StaffRole.CLINIC_ADMIN)
    owner = Actor(role=UserRole.PET_OWNER, user_id=(await reports.user()).id)

    with pytest.raises(PermissionDeniedException):
        await clinic_report(db_session, receptionist, clinic.id, first_day=JAN_5, last_day=JAN_6)
    for outsider in (other_admin, owner):
        with pytest.raises(NotFoundException):
            await clinic_report(db_session, outsider, clinic.id, first_day=JAN_5, last_day=JAN_6)
