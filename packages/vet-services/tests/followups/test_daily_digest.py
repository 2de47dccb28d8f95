"""The daily digest: picked by the clinic's local hour, today's appointments in the clinic's zone,
one per staff member and day (``digest:<clinic>:<local date>:<user>``), in their language."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from factories import Builder, make_practice
from followup_support import plain
from notifications.loopback import SmtpSink
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import NotificationDelivery
from vet_core.models.enums import AppointmentStatus
from vet_services.digests import (
    clinic_day,
    clinics_at_local_hour,
    send_clinic_digest,
    send_daily_digests,
)
from vet_services.notifications.dispatcher import Dispatcher

#: Tuesday 4 March 2031, 13:00 UTC: 08:00 in New York (EST), 22:00 in Tokyo.
EIGHT_IN_NEW_YORK = datetime(2031, 3, 4, 13, 0, tzinfo=UTC)
DAY = date(2031, 3, 4)


def local(hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` on 4 March 2031 in New York (UTC-5), as UTC."""
    return datetime(2031, 3, 4, 5, 0, tzinfo=UTC) + timedelta(hours=hour, minutes=minute)


async def test_only_clinics_at_their_digest_hour_are_picked(build: Builder) -> None:
    new_york = await build.clinic()
    tokyo = await build.clinic(timezone="Asia/Tokyo")
    kolkata = await build.clinic(timezone="Asia/Kolkata")  # UTC+5:30

    at_eight = {c.id for c in await clinics_at_local_hour(build.session, 8, EIGHT_IN_NEW_YORK)}
    at_twenty_two = {
        c.id for c in await clinics_at_local_hour(build.session, 22, EIGHT_IN_NEW_YORK)
    }
    # 02:30 UTC is 08:00 in Kolkata; the hourly run at 03:00 UTC (08:30 there) picks it.
    at_three = {
        c.id
        for c in await clinics_at_local_hour(
            build.session, 8, datetime(2031, 3, 4, 3, 0, tzinfo=UTC)
        )
    }

    assert new_york.id in at_eight
    assert tokyo.id not in at_eight
    assert tokyo.id in at_twenty_two
    assert new_york.id not in at_twenty_two
    assert kolkata.id in at_three
    assert kolkata.id not in at_eight


async def test_the_digest_lists_the_local_day_and_is_sent_once_per_person(
    build: Builder, db_session: AsyncSession, mailer: Dispatcher, smtp: SmtpSink
) -> None:
    practice = await make_practice(build)
    clinic, vet, pet = practice.clinic, practice.vet, practice.pet
    for starts, status in (
        (local(9), AppointmentStatus.CONFIRMED),
        (local(11, 30), AppointmentStatus.SCHEDULED),
        (local(16), AppointmentStatus.SCHEDULED),
        (local(14), AppointmentStatus.CANCELLED),  # not listed
        (local(9) - timedelta(days=1), AppointmentStatus.SCHEDULED),  # yesterday
        (local(23, 30), AppointmentStatus.SCHEDULED),  # 04:30 UTC tomorrow: still today here
    ):
        await build.appointment(vet=vet, clinic=clinic, pet=pet, starts_at=starts, status=status)
    spanish = await build.staff(clinic)
    spanish.user.preferences = {"language": "es"}
    await db_session.flush()

    digest = await clinic_day(db_session, clinic, DAY)
    assert digest.total == 4
    assert [f"{e.starts_at:%H:%M}" for e in digest.entries] == ["09:00", "11:30", "16:00", "23:30"]

    run = await send_daily_digests(db_session, mailer, now=EIGHT_IN_NEW_YORK)
    again = await send_daily_digests(
        db_session, mailer, now=EIGHT_IN_NEW_YORK + timedelta(minutes=20)
    )
    redelivered = await send_clinic_digest(
        db_session, mailer, clinic.id, DAY, now=EIGHT_IN_NEW_YORK
    )

    day, report = run.clinics[clinic.id]
    assert day == DAY
    assert report.sent == 6  # veterinarian, receptionist, Spanish receptionist; e-mail + in-app
    assert again.clinics[clinic.id][1].sent == 0
    assert redelivered.sent == 0
    [mail] = smtp.to(practice.receptionist.user.email)
    assert str(mail.message["Subject"]) == "Riverside Animal Hospital today: 4 appointments"
    body = plain(mail)
    assert "Tuesday 4 March 2031" in body
    assert "the first at 09:00 and the last at 23:30" in body
    assert "11:30-12:00 Rex (dog), wellness exam" in body
    [spanish_mail] = smtp.to(spanish.user.email)
    assert str(spanish_mail.message["Subject"]) == "Riverside Animal Hospital hoy: 4 citas"
    assert "martes 4 de marzo de 2031" in plain(spanish_mail)
    assert smtp.to(practice.owner.user.email) == []
    keys = set(
        (
            await db_session.execute(
                select(NotificationDelivery.dedup_key).where(
                    NotificationDelivery.user_id == practice.receptionist.user.id
                )
            )
        ).scalars()
    )
    user = practice.receptionist.user.id
    assert keys == {
        f"digest:{clinic.id}:2031-03-04:{user}:email",
        f"digest:{clinic.id}:2031-03-04:{user}:in_app",
    }


async def test_a_day_with_nothing_booked_sends_nothing(
    build: Builder, db_session: AsyncSession, mailer: Dispatcher, smtp: SmtpSink
) -> None:
    practice = await make_practice(build)
    report = await send_clinic_digest(
        db_session, mailer, practice.clinic.id, DAY, now=EIGHT_IN_NEW_YORK
    )
    assert report.claimed == 0
    assert smtp.to(practice.receptionist.user.email) == []
