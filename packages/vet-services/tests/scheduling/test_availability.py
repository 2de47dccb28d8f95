"""Availability: weekly rules ∩ clinic hours − breaks, closures, time off, bookings and live holds,
laid out on the slot grid with buffers, notice and horizon."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from factories import NOW, Practice
from sqlalchemy import event

from vet_core.exceptions import BusinessRuleException
from vet_core.models.enums import AppointmentStatus, HoldStatus, ServiceType
from vet_services.scheduling import SchedulingPolicy, clinic_slots, veterinarian_slots
from vet_services.scheduling.availability import Slot

NEW_YORK = ZoneInfo("America/New_York")
TUESDAY = date(2031, 3, 4)
HALF_HOURLY = SchedulingPolicy(slot_interval_minutes=30)
MORNING = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
AFTERNOON = ["13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30"]


def at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = NEW_YORK) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def local_times(slots: list[Slot], zone: ZoneInfo = NEW_YORK) -> list[str]:
    return [slot.starts_at.astimezone(zone).strftime("%H:%M") for slot in slots]


async def vet_day(
    session, practice: Practice, day: date = TUESDAY, policy=HALF_HOURLY, now=NOW, **kwargs
) -> list[Slot]:
    return await veterinarian_slots(
        session,
        veterinarian_id=practice.vet.id,
        clinic_id=practice.clinic.id,
        first_day=day,
        last_day=day,
        service_type=kwargs.pop("service_type", ServiceType.WELLNESS_EXAM),
        policy=policy,
        now=now,
        **kwargs,
    )


async def test_a_working_day_is_the_rule_inside_clinic_hours_without_the_lunch_break(
    db_session, practice
):
    slots = await vet_day(db_session, practice)
    assert local_times(slots) == MORNING + AFTERNOON
    assert all(slot.ends_at - slot.starts_at == timedelta(minutes=30) for slot in slots)
    assert all(slot.starts_at.tzinfo is UTC for slot in slots)


async def test_the_grid_follows_the_slot_interval_and_the_service_length(db_session, practice):
    slots = await vet_day(
        db_session, practice, policy=SchedulingPolicy(), service_type=ServiceType.DENTAL
    )
    # 60-minute dental visits every 15 minutes, each ending by lunch or by 17:00.
    assert local_times(slots)[:4] == ["09:00", "09:15", "09:30", "09:45"]
    assert "11:00" in local_times(slots)
    assert "11:15" not in local_times(slots)
    assert local_times(slots)[-1] == "16:00"


async def test_the_veterinarians_default_length_applies_to_services_the_policy_does_not_time(
    db_session, practice
):
    policy = SchedulingPolicy(slot_interval_minutes=30, service_minutes={})
    slots = await vet_day(db_session, practice, policy=policy)
    assert slots[0].ends_at - slots[0].starts_at == timedelta(minutes=30)


async def test_weekends_without_rules_or_hours_have_no_slots(db_session, practice):
    assert await vet_day(db_session, practice, day=date(2031, 3, 8)) == []


async def test_bookings_and_their_buffers_are_not_offered(db_session, build, practice):
    await build.appointment(
        vet=practice.vet, clinic=practice.clinic, pet=practice.pet, starts_at=at(TUESDAY, 10)
    )
    policy = SchedulingPolicy(slot_interval_minutes=15, buffer_after_minutes=15)
    times = local_times(await vet_day(db_session, practice, policy=policy))
    # 09:15 ends 09:45, its clean-up ends 10:00: fine. 10:00–10:30 is taken and cleaned until 10:45.
    assert "09:15" in times
    for blocked in ["09:30", "09:45", "10:00", "10:15", "10:30"]:
        assert blocked not in times
    assert "10:45" in times


async def test_buffer_before_keeps_preparation_time_before_the_next_booking(
    db_session, build, practice
):
    await build.appointment(
        vet=practice.vet, clinic=practice.clinic, pet=practice.pet, starts_at=at(TUESDAY, 10)
    )
    policy = SchedulingPolicy(slot_interval_minutes=15, buffer_before_minutes=15)
    times = local_times(await vet_day(db_session, practice, policy=policy))
    assert "09:15" in times
    assert "09:30" not in times  # would end 10:00, but 10:00's preparation starts 09:45
    assert "10:30" not in times  # the new visit's own preparation would start during 10:00–10:30
    assert "10:45" in times


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
async def test_cancelled_and_no_show_appointments_free_their_time(
    db_session, build, practice, status
):
    await build.appointment(
        vet=practice.vet,
        clinic=practice.clinic,
        pet=practice.pet,
        starts_at=at(TUESDAY, 10),
        status=status,
    )
    assert "10:00" in local_times(await vet_day(db_session, practice))


async def test_minimum_notice_hides_slots_starting_too_soon(db_session, practice):
    now = at(TUESDAY, 10, 10)
    times = local_times(await vet_day(db_session, practice, now=now))
    assert times[0] == "11:30"  # 10:10 + 60 minutes of notice, rounded up to the grid


async def test_the_booking_horizon_ends_the_offer(db_session, practice):
    policy = SchedulingPolicy(slot_interval_minutes=30, max_horizon_days=2)
    slots = await veterinarian_slots(
        db_session,
        veterinarian_id=practice.vet.id,
        clinic_id=practice.clinic.id,
        first_day=date(2031, 3, 3),
        last_day=date(2031, 3, 14),
        service_type=ServiceType.WELLNESS_EXAM,
        policy=policy,
        now=NOW,
    )
    assert slots
    assert max(slot.starts_at for slot in slots) < NOW + timedelta(days=2)
    assert {slot.starts_at.astimezone(NEW_YORK).date() for slot in slots} == {
        date(2031, 3, 3),
        date(2031, 3, 4),
    }


async def test_live_holds_block_while_expired_and_released_ones_do_not(db_session, build, practice):
    holder = practice.other_owner.user
    await build.hold(
        vet=practice.vet,
        clinic=practice.clinic,
        holder=holder,
        starts_at=at(TUESDAY, 9),
        expires_at=NOW + timedelta(minutes=5),
    )
    await build.hold(
        vet=practice.vet,
        clinic=practice.clinic,
        holder=holder,
        starts_at=at(TUESDAY, 10),
        expires_at=NOW - timedelta(minutes=1),
    )
    await build.hold(
        vet=practice.vet,
        clinic=practice.clinic,
        holder=holder,
        starts_at=at(TUESDAY, 11),
        expires_at=NOW + timedelta(minutes=5),
        status=HoldStatus.RELEASED,
    )
    times = local_times(await vet_day(db_session, practice))
    assert "09:00" not in times
    assert "10:00" in times
    assert "11:00" in times


async def test_time_off_removes_its_hours(db_session, build, practice):
    await build.time_off(practice.vet, at(TUESDAY, 13), at(TUESDAY, 18))
    assert local_times(await vet_day(db_session, practice)) == MORNING


async def test_a_closed_day_has_no_slots_and_special_hours_replace_the_weekly_ones(
    db_session, build, practice
):
    await build.closure(practice.clinic, TUESDAY)
    await build.closure(practice.clinic, date(2031, 3, 5), opens=time(10), closes=time(12))
    assert await vet_day(db_session, practice) == []
    special = await vet_day(db_session, practice, day=date(2031, 3, 5))
    assert local_times(special) == ["10:00", "10:30", "11:00", "11:30"]


async def test_rules_apply_only_within_their_effective_dates(db_session, build, practice):
    clinic = practice.clinic
    vet = await build.veterinarian(
        clinic, weekdays=(2,), effective_from=date(2031, 3, 10), effective_until=date(2031, 3, 18)
    )
    slots = await veterinarian_slots(
        db_session,
        veterinarian_id=vet.id,
        clinic_id=clinic.id,
        first_day=date(2031, 3, 3),
        last_day=date(2031, 3, 30),
        service_type=ServiceType.WELLNESS_EXAM,
        policy=HALF_HOURLY,
        now=NOW,
    )
    # Tuesdays from 10 March up to and including 18 March.
    assert {slot.starts_at.astimezone(NEW_YORK).date() for slot in slots} == {
        date(2031, 3, 11),
        date(2031, 3, 18),
    }


async def test_a_clinic_offers_each_free_veterinarian_for_the_same_time(
    db_session, build, practice
):
    afternoon_vet = await build.veterinarian(practice.clinic, starts=time(13), ends=time(15))
    await build.appointment(
        vet=afternoon_vet, clinic=practice.clinic, pet=practice.pet, starts_at=at(TUESDAY, 14)
    )
    slots = await clinic_slots(
        db_session,
        clinic_id=practice.clinic.id,
        first_day=TUESDAY,
        last_day=TUESDAY,
        service_type=ServiceType.WELLNESS_EXAM,
        policy=HALF_HOURLY,
        now=NOW,
    )
    by_vet = {
        vet_id: local_times([s for s in slots if s.veterinarian_id == vet_id])
        for vet_id in {s.veterinarian_id for s in slots}
    }
    assert by_vet[practice.vet.id] == MORNING + AFTERNOON
    assert by_vet[afternoon_vet.id] == ["13:00", "13:30", "14:30"]
    assert slots == sorted(slots, key=lambda s: (s.starts_at, str(s.veterinarian_id)))


async def test_emergencies_ignore_hours_and_notice_but_never_bookings(db_session, build, practice):
    saturday = date(2031, 3, 8)
    await build.appointment(
        vet=practice.vet, clinic=practice.clinic, pet=practice.pet, starts_at=at(saturday, 3)
    )
    slots = await vet_day(
        db_session,
        practice,
        day=saturday,
        emergency=True,
        service_type=ServiceType.DENTAL,
    )
    times = local_times(slots)
    assert times[0] == "00:00"
    assert "02:00" in times
    assert "02:30" not in times  # an hour from 02:30 would run into the 03:00 visit
    assert "03:00" not in times
    assert "03:30" in times


async def test_a_range_too_long_or_reversed_is_refused(db_session, practice):
    with pytest.raises(BusinessRuleException) as too_long:
        await veterinarian_slots(
            db_session,
            veterinarian_id=practice.vet.id,
            clinic_id=practice.clinic.id,
            first_day=date(2031, 3, 3),
            last_day=date(2031, 6, 3),
            service_type=ServiceType.WELLNESS_EXAM,
            now=NOW,
        )
    assert too_long.value.code == "DATE_RANGE_TOO_LONG"
    with pytest.raises(BusinessRuleException) as reversed_range:
        await veterinarian_slots(
            db_session,
            veterinarian_id=practice.vet.id,
            clinic_id=practice.clinic.id,
            first_day=date(2031, 3, 5),
            last_day=date(2031, 3, 3),
            service_type=ServiceType.WELLNESS_EXAM,
            now=NOW,
        )
    assert reversed_range.value.code == "DATE_RANGE_INVALID"


async def test_a_whole_clinic_week_is_read_in_one_round_trip(
    db_session, db_engine, build, practice
):
    """No query per day, per veterinarian or per slot, however big the range."""
    for _ in range(3):
        await build.veterinarian(practice.clinic)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db_engine.sync_engine, "before_cursor_execute", count)
    try:
        slots = await clinic_slots(
            db_session,
            clinic_id=practice.clinic.id,
            first_day=TUESDAY,
            last_day=TUESDAY + timedelta(days=13),
            service_type=ServiceType.WELLNESS_EXAM,
            now=NOW,
        )
    finally:
        event.remove(db_engine.sync_engine, "before_cursor_execute", count)
    assert len({slot.veterinarian_id for slot in slots}) == 4
    assert len(statements) == 1
