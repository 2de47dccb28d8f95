"""The reminder pass: who gets what, when, in which words, and what never goes out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from notifications.builders import NOW, Make
from notifications.loopback import ProviderServer, SmtpSink
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import NotificationDelivery, Pet, Reminder, User
from vet_core.models.enums import (
    AppointmentStatus,
    DeliveryStatus,
    PetStatus,
    ReminderStatus,
    ServiceType,
    UserStatus,
)
from vet_services.notifications.dispatcher import Dispatcher
from vet_services.notifications.preferences import record_sms_reply
from vet_services.reminders.planner import complete_resolved, plan_for_pet, run_reminder_pass

#: When the first (14-day) reminder of a vaccination due on 17 March is due: 10:00 EST.
FIRST_DUE = datetime(2031, 3, 3, 15, 0, tzinfo=UTC)


async def statuses(session: AsyncSession, pet: Pet) -> list[ReminderStatus]:
    rows = await session.execute(
        select(Reminder.status).where(Reminder.pet_id == pet.id).order_by(Reminder.due_at)
    )
    return list(rows.scalars())


async def owner_with_rex(make: Make, **owner: object) -> tuple[User, Pet]:
    person = await make.owner(**owner)  # type: ignore[arg-type]
    clinic = await make.clinic()
    rex = await make.pet(person)
    await make.vaccination(rex, clinic, next_due_on=date(2031, 3, 17))
    await plan_for_pet(make.session, rex.id, NOW)
    return person, rex


async def test_a_due_reminder_names_the_pet_the_clinic_and_the_local_date(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    owner, rex = await owner_with_rex(make)

    report = await run_reminder_pass(db_session, FIRST_DUE, dispatcher)

    [mail] = smtp.to(owner.email)
    assert mail.message["Subject"] == "Reminder for Rex: Rabies vaccination due"
    text = mail.part("text/plain")
    assert "Hello Dana," in text
    assert (
        "- Rex: Rabies vaccination due, Monday 17 March 2031, at Riverside Animal Hospital" in text
    )
    assert "Riverside Animal Hospital" in mail.part("text/html")
    assert await statuses(db_session, rex) == [ReminderStatus.SENT, ReminderStatus.PENDING]
    assert len(report.sent) == 1
    assert report.messages == 1


async def test_running_the_pass_again_sends_nothing_more(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    await owner_with_rex(make)

    await run_reminder_pass(db_session, FIRST_DUE, dispatcher)
    again = await run_reminder_pass(db_session, FIRST_DUE + timedelta(minutes=5), dispatcher)

    assert len(smtp.mails) == 1
    assert again.sent == []


@pytest.mark.parametrize(
    ("timezone", "expected"),
    [
        ("America/New_York", "Wednesday 5 March 2031 at 09:30 EST"),
        ("Asia/Tokyo", "Wednesday 5 March 2031 at 23:30 JST"),
        ("Europe/London", "Wednesday 5 March 2031 at 14:30 GMT"),
    ],
)
async def test_an_appointment_reminder_gives_the_time_in_the_owners_zone(
    db_session: AsyncSession,
    make: Make,
    dispatcher: Dispatcher,
    smtp: SmtpSink,
    timezone: str,
    expected: str,
) -> None:
    owner = await make.owner(timezone=timezone)
    clinic = await make.clinic()
    rex = await make.pet(owner)
    await make.appointment(rex, clinic, datetime(2031, 3, 5, 14, 30, tzinfo=UTC))
    await plan_for_pet(db_session, rex.id, NOW)

    await run_reminder_pass(db_session, datetime(2031, 3, 4, 14, 30, tzinfo=UTC), dispatcher)

    [mail] = smtp.to(owner.email)
    assert mail.message["Subject"] == "Reminder for Rex: Appointment (wellness exam)"
    assert f"Rex: Appointment (wellness exam), {expected}, at Riverside" in mail.part("text/plain")


async def test_three_pets_of_one_household_get_one_message_naming_all_three(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    owner = await make.owner()
    neighbour = await make.owner(first_name="Lee")
    clinic = await make.clinic()
    for name, vaccine in (("Rex", "Rabies"), ("Bella", "DHPP"), ("Max", "Leptospirosis")):
        pet = await make.pet(owner, name)
        await make.vaccination(pet, clinic, vaccine=vaccine, next_due_on=date(2031, 3, 17))
        await plan_for_pet(db_session, pet.id, NOW)
    fido = await make.pet(neighbour, "Fido")
    await make.vaccination(fido, clinic, next_due_on=date(2031, 3, 17))
    await plan_for_pet(db_session, fido.id, NOW)

    report = await run_reminder_pass(db_session, FIRST_DUE, dispatcher)

    [mail] = smtp.to(owner.email)
    assert mail.message["Subject"] == "Care reminders for Bella, Max and Rex"
    text = mail.part("text/plain")
    for line in (
        "- Bella: DHPP vaccination due, Monday 17 March 2031",
        "- Max: Leptospirosis vaccination due, Monday 17 March 2031",
        "- Rex: Rabies vaccination due, Monday 17 March 2031",
    ):
        assert line in text
    assert len(smtp.to(neighbour.email)) == 1
    assert (len(report.sent), report.messages) == (4, 2)


async def test_a_reminder_due_at_3am_owner_time_waits_until_quiet_hours_end(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    owner = await make.owner(quiet_hours=("22:00", "07:00"))
    night_clinic = await make.clinic(settings={"reminders": {"send_at_local": "03:00"}})
    rex = await make.pet(owner)
    await make.vaccination(rex, night_clinic, next_due_on=date(2031, 3, 17))
    three_am = datetime(2031, 3, 3, 8, 0, tzinfo=UTC)  # 03:00 EST on 3 March
    seven_am = datetime(2031, 3, 3, 12, 0, tzinfo=UTC)  # 07:00 EST
    await plan_for_pet(db_session, rex.id, three_am - timedelta(days=1))

    at_three = await run_reminder_pass(db_session, three_am, dispatcher)
    still_night = await run_reminder_pass(db_session, seven_am - timedelta(minutes=1), dispatcher)

    assert smtp.mails == []
    assert len(at_three.deferred) == 1
    assert still_night.sent == []
    reminder = await db_session.get_one(Reminder, at_three.deferred[0])
    assert reminder.due_at == seven_am

    morning = await run_reminder_pass(db_session, seven_am, dispatcher)

    assert morning.sent == at_three.deferred
    assert len(smtp.to(owner.email)) == 1


async def test_nothing_is_sent_about_a_pet_that_died(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    owner, rex = await owner_with_rex(make)
    bella = await make.pet(owner, "Bella")
    await make.vaccination(bella, None, vaccine="DHPP", next_due_on=date(2031, 3, 17))
    await plan_for_pet(db_session, bella.id, NOW)
    rex.status, rex.deceased_on = PetStatus.DECEASED, date(2031, 3, 1)
    await db_session.flush()

    await run_reminder_pass(db_session, FIRST_DUE, dispatcher)

    [mail] = smtp.to(owner.email)
    assert "Rex" not in mail.part("text/plain")
    assert "Rex" not in mail.message["Subject"]
    assert mail.message["Subject"] == "Reminder for Bella: DHPP vaccination due"
    assert await statuses(db_session, rex) == [ReminderStatus.CANCELLED, ReminderStatus.PENDING]


async def test_nothing_is_sent_to_an_inactive_owner(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    owner, rex = await owner_with_rex(make)
    owner.status = UserStatus.DEACTIVATED
    await db_session.flush()

    report = await run_reminder_pass(db_session, FIRST_DUE, dispatcher)

    assert smtp.mails == []
    assert len(report.skipped) == 1
    assert (await statuses(db_session, rex))[0] is ReminderStatus.CANCELLED


async def test_a_vaccine_given_completes_the_reminder_instead_of_sending_it(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    _owner, rex = await owner_with_rex(make)
    await make.vaccination(
        rex, None, next_due_on=date(2034, 3, 1), administered_at=NOW - timedelta(days=1)
    )

    report = await run_reminder_pass(db_session, FIRST_DUE, dispatcher)

    assert smtp.mails == []
    assert len(report.completed) == 1
    reminder = await db_session.get_one(Reminder, report.completed[0])
    assert (reminder.status, reminder.completed_at) == (ReminderStatus.COMPLETED, FIRST_DUE)


async def test_booking_the_visit_completes_the_vaccination_reminders(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    _owner, rex = await owner_with_rex(make)
    clinic = await make.clinic()
    await make.appointment(
        rex, clinic, datetime(2031, 3, 12, 15, tzinfo=UTC), service=ServiceType.VACCINATION
    )

    settled = await complete_resolved(db_session, rex.id, NOW)
    await run_reminder_pass(db_session, FIRST_DUE, dispatcher)

    # Both vaccination reminders stop; the booked visit's own reminders were not planned here.
    assert settled == 2
    assert await statuses(db_session, rex) == [ReminderStatus.COMPLETED] * 2
    assert smtp.mails == []


async def test_a_cancelled_appointment_cancels_its_reminders(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    owner = await make.owner()
    clinic = await make.clinic()
    rex = await make.pet(owner)
    visit = await make.appointment(rex, clinic, datetime(2031, 3, 5, 14, 30, tzinfo=UTC))
    await plan_for_pet(db_session, rex.id, NOW)
    visit.status, visit.cancelled_at = AppointmentStatus.CANCELLED, NOW
    await db_session.flush()

    report = await run_reminder_pass(db_session, datetime(2031, 3, 5, 13, tzinfo=UTC), dispatcher)

    assert smtp.mails == []
    assert len(report.cancelled) == 2


async def test_an_sms_stop_reply_is_respected_by_the_pass(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, twilio: ProviderServer
) -> None:
    owner, _ = await owner_with_rex(make, channels=["sms"], phone="+15551239999")
    await record_sms_reply(db_session, "+15551239999", "STOP")

    report = await run_reminder_pass(db_session, FIRST_DUE, dispatcher)

    assert twilio.requests == []
    assert len(report.skipped) == 1
    assert owner.preferences["sms_opt_out"]["keyword"] == "STOP"


async def test_an_sms_reminder_reaches_twilio_with_the_pet_and_date(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, twilio: ProviderServer
) -> None:
    await owner_with_rex(make, channels=["sms"], phone="+15551238888")

    await run_reminder_pass(db_session, FIRST_DUE, dispatcher)

    [request] = twilio.requests
    assert request.form["To"] == "+15551238888"
    assert request.form["Body"] == (
        "Riverside Animal Hospital: Rex - Rabies vaccination due, Monday 17 March 2031. "
        "Reply STOP to opt out."
    )


async def test_a_refused_email_is_recorded_and_retried_later(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    owner, _ = await owner_with_rex(make)
    smtp.fail_next("451 4.7.1 Greylisted, please try again")

    await run_reminder_pass(db_session, FIRST_DUE, dispatcher)

    delivery = (
        await db_session.execute(
            select(NotificationDelivery).where(NotificationDelivery.user_id == owner.id)
        )
    ).scalar_one()
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.error == "451 4.7.1 Greylisted, please try again"
    assert smtp.mails == []

    await dispatcher.retry_due(db_session, FIRST_DUE + timedelta(minutes=10))

    [mail] = smtp.to(owner.email)
    assert mail.message["Subject"] == "Reminder for Rex: Rabies vaccination due"
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)


async def test_a_pet_due_later_the_same_day_joins_the_message_but_a_visit_never_goes_early(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    owner, rex = await owner_with_rex(make)  # Rex: due 10:00 EST
    afternoon = await make.clinic(
        name="Hillside Vets", settings={"reminders": {"send_at_local": "14:00"}}
    )
    bella = await make.pet(owner, "Bella")
    await make.vaccination(bella, afternoon, vaccine="DHPP", next_due_on=date(2031, 3, 17))
    max_ = await make.pet(owner, "Max")
    # Max's visit reminder (24 h before) is due at 11:00 EST: inside the window, but never early.
    await make.appointment(max_, afternoon, datetime(2031, 3, 4, 16, tzinfo=UTC))
    for pet in (bella, max_):
        await plan_for_pet(db_session, pet.id, NOW)

    await run_reminder_pass(db_session, FIRST_DUE, dispatcher)

    [mail] = smtp.to(owner.email)
    assert mail.message["Subject"] == "Care reminders for Bella and Rex"
    text = mail.part("text/plain")
    assert "- Bella: DHPP vaccination due, Monday 17 March 2031, at Hillside Vets" in text
    assert "Max" not in text
    assert "contact Hillside Vets and Riverside Animal Hospital" in text

    await run_reminder_pass(db_session, datetime(2031, 3, 3, 16, tzinfo=UTC), dispatcher)

    assert len(smtp.to(owner.email)) == 2
    assert smtp.to(owner.email)[1].message["Subject"] == (
        "Reminder for Max: Appointment (wellness exam)"
    )
    assert await statuses(db_session, rex) == [ReminderStatus.SENT, ReminderStatus.PENDING]


async def test_a_refill_reminder_gives_the_date_the_prescription_runs_out(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    owner = await make.owner()
    clinic = await make.clinic()
    rex = await make.pet(owner)
    await make.appointment(rex, clinic, datetime(2031, 2, 20, 15, tzinfo=UTC))
    await make.prescription(rex, valid_until=date(2031, 3, 10))
    await plan_for_pet(db_session, rex.id, NOW)

    await run_reminder_pass(db_session, datetime(2031, 3, 3, 15, tzinfo=UTC), dispatcher)

    [mail] = smtp.to(owner.email)
    assert (
        "- Rex: Prescription refill: Carprofen 75 mg, Monday 10 March 2031, "
        "at Riverside Animal Hospital" in mail.part("text/plain")
    )


async def test_one_pass_settles_and_sends_for_many_households_each_on_its_own_facts(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    """The pass reads a whole round of households at once: no fact may leak between them."""
    vaccinated_owner, vaccinated = await owner_with_rex(make, first_name="Vera")
    await make.vaccination(
        vaccinated, None, next_due_on=date(2034, 3, 1), administered_at=NOW - timedelta(days=1)
    )
    booked_owner, booked = await owner_with_rex(make, first_name="Bob")
    await make.appointment(
        booked,
        await make.clinic(),
        datetime(2031, 3, 12, 15, tzinfo=UTC),
        service=ServiceType.VACCINATION,
    )
    waiting = [await owner_with_rex(make, first_name=f"Owner{n}") for n in range(6)]

    report = await run_reminder_pass(db_session, FIRST_DUE, dispatcher)

    assert smtp.to(vaccinated_owner.email) == []
    assert smtp.to(booked_owner.email) == []
    assert len(report.completed) == 2
    for owner, rex in waiting:
        [mail] = smtp.to(owner.email)
        assert mail.message["Subject"] == "Reminder for Rex: Rabies vaccination due"
        assert (await statuses(db_session, rex))[0] is ReminderStatus.SENT
    assert report.messages == len(waiting)


async def test_a_pass_serves_at_most_limit_households_and_the_next_pass_the_rest(
    db_session: AsyncSession, make: Make, dispatcher: Dispatcher, smtp: SmtpSink
) -> None:
    owners = [await owner_with_rex(make, first_name=f"Owner{n}") for n in range(7)]

    first = await run_reminder_pass(db_session, FIRST_DUE, dispatcher, limit=5)
    second = await run_reminder_pass(db_session, FIRST_DUE, dispatcher, limit=5)
    third = await run_reminder_pass(db_session, FIRST_DUE, dispatcher, limit=5)

    assert (first.messages, second.messages, third.messages) == (5, 2, 0)
    for owner, _rex in owners:
        assert len(smtp.to(owner.email)) == 1
