"""Vaccinations: recorded by the clinical team, audited, due dates from the latest dose, and a
reminder job for every dose given."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from vet_core.exceptions import BusinessRuleException, NotFoundException, PermissionDeniedException
from vet_core.models import AuditLog, OutboxEvent
from vet_core.models.enums import AuditAction, StaffRole
from vet_core.schemas.clinical import VaccinationCreate
from vet_services.clinical.vaccinations import (
    VACCINATION_GIVEN_TOPIC,
    due_vaccinations,
    list_vaccinations,
    record_vaccination,
)


def dose(practice, name: str, given: datetime, due: date | None, **fields) -> VaccinationCreate:
    return VaccinationCreate(
        pet_id=practice.pet.id,
        vaccine_name=name,
        administered_at=given,
        next_due_on=due,
        lot_number="LOT-42",
        **fields,
    )


async def test_a_vaccination_is_recorded_audited_and_completes_reminders(db_session, practice):
    given = datetime(2026, 3, 2, 10, tzinfo=UTC)

    vaccination = await record_vaccination(
        db_session, practice.vet.actor, dose(practice, "Rabies", given, date(2027, 3, 2))
    )

    assert vaccination.clinic_id == practice.clinic.id
    assert vaccination.administered_by_id == practice.vet.actor.veterinarian_id
    [entry] = (
        (await db_session.execute(select(AuditLog).where(AuditLog.entity_id == vaccination.id)))
        .scalars()
        .all()
    )
    assert (entry.action, entry.entity_type) == (AuditAction.CREATE, "vaccination")
    [job] = (
        (
            await db_session.execute(
                select(OutboxEvent).where(OutboxEvent.topic == VACCINATION_GIVEN_TOPIC)
            )
        )
        .scalars()
        .all()
    )
    assert job.payload == {
        "pet_id": str(practice.pet.id),
        "vaccination_id": str(vaccination.id),
        "vaccine_name": "Rabies",
        "administered_at": given.isoformat(),
        "next_due_on": "2027-03-02",
    }


async def test_owners_read_vaccinations_receptionists_and_owners_cannot_record_them(
    db_session, practice
):
    given = datetime(2026, 1, 5, 9, tzinfo=UTC)
    vaccination = await record_vaccination(
        db_session, practice.tech.actor, dose(practice, "DHPP", given, None)
    )

    assert [
        v.id for v in await list_vaccinations(db_session, practice.co_owner.actor, practice.pet.id)
    ] == [vaccination.id]
    for refused in (practice.receptionist, practice.owner):
        with pytest.raises(PermissionDeniedException):
            await record_vaccination(
                db_session,
                refused.actor,
                dose(practice, "DHPP", given, None, clinic_id=practice.clinic.id),
            )
    with pytest.raises(NotFoundException):
        await list_vaccinations(db_session, practice.other_vet.actor, practice.pet.id)


async def test_a_vet_tech_may_name_a_veterinarian_of_the_clinic_only(db_session, practice, world):
    given = datetime(2026, 2, 1, 9, tzinfo=UTC)
    named = await record_vaccination(
        db_session,
        practice.tech.actor,
        dose(
            practice,
            "Leptospirosis",
            given,
            None,
            administered_by_id=practice.vet.actor.veterinarian_id,
        ),
    )
    assert named.administered_by_id == practice.vet.actor.veterinarian_id

    with pytest.raises(BusinessRuleException) as caught:
        await record_vaccination(
            db_session,
            practice.tech.actor,
            dose(
                practice,
                "Leptospirosis",
                given,
                None,
                administered_by_id=practice.other_vet.actor.veterinarian_id,
            ),
        )
    assert caught.value.code == "VETERINARIAN_NOT_AT_CLINIC"


async def test_due_dates_come_from_the_latest_dose_of_each_vaccine(db_session, practice):
    vet = practice.vet.actor
    await record_vaccination(
        db_session,
        vet,
        dose(practice, "Rabies", datetime(2024, 3, 1, tzinfo=UTC), date(2025, 3, 1)),
    )
    booster = await record_vaccination(
        db_session,
        vet,
        dose(practice, "rabies ", datetime(2025, 2, 20, tzinfo=UTC), date(2028, 2, 20)),
    )
    kennel = await record_vaccination(
        db_session,
        vet,
        dose(practice, "Bordetella", datetime(2025, 9, 1, tzinfo=UTC), date(2026, 9, 1)),
    )
    await record_vaccination(
        db_session, vet, dose(practice, "Microchip check", datetime(2025, 9, 1, tzinfo=UTC), None)
    )

    due = await due_vaccinations(db_session, practice.owner.actor, practice.pet.id)
    soon = await due_vaccinations(
        db_session, practice.owner.actor, practice.pet.id, until=date(2027, 1, 1)
    )

    assert [v.id for v in due] == [kennel.id, booster.id]
    assert [v.id for v in soon] == [kennel.id]


async def test_a_clinic_that_vaccinated_a_pet_treats_it(db_session, practice, world):
    # The vaccination is filed at the other clinic by a vet who works at both.
    both = await world.staff(practice.clinic, StaffRole.VETERINARIAN)
    actor = replace(
        both.actor,
        memberships={
            practice.clinic.id: StaffRole.VETERINARIAN,
            practice.other_clinic.id: StaffRole.VETERINARIAN,
        },
    )
    await record_vaccination(
        db_session,
        actor,
        dose(
            practice,
            "Rabies",
            datetime(2026, 1, 1, tzinfo=UTC),
            None,
            clinic_id=practice.other_clinic.id,
        ),
    )

    listed = await list_vaccinations(db_session, practice.other_vet.actor, practice.pet.id)
    assert len(listed) == 1
