"""Reviews: only of one's own completed appointment, once, with aggregates kept true."""

from __future__ import annotations

import asyncio
from decimal import ROUND_HALF_UP, Decimal

import pytest
from payments.builders import Person, Rows, Vet
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.database.session import SessionFactory, transaction
from vet_core.exceptions import BusinessRuleException, ConflictException, NotFoundException
from vet_core.models.clinics import Clinic
from vet_core.models.enums import AppointmentStatus, ReviewStatus, StaffRole
from vet_core.models.reviews import ClinicReview, VeterinarianReview
from vet_core.models.scheduling import Appointment
from vet_core.models.veterinarians import Veterinarian
from vet_core.schemas.reviews import (
    ClinicReviewCreate,
    ClinicReviewUpdate,
    VeterinarianReviewCreate,
)
from vet_services.reviews import (
    create_clinic_review,
    create_veterinarian_review,
    delete_review,
    list_clinic_reviews,
    list_veterinarian_reviews,
    update_review,
)


class Practice:
    def __init__(self, clinic: Clinic, vet: Vet) -> None:
        self.clinic, self.vet = clinic, vet


@pytest.fixture
async def practice(rows: Rows) -> Practice:
    clinic = await rows.clinic()
    return Practice(clinic, await rows.veterinarian(clinic))


async def visit(
    rows: Rows,
    practice: Practice,
    owner: Person,
    status: AppointmentStatus = AppointmentStatus.COMPLETED,
    days_ago: int = 3,
) -> Appointment:
    pet = await rows.pet(owner)
    return await rows.appointment(
        pet, practice.vet, practice.clinic, status=status, days_ago=days_ago
    )


async def test_an_owner_reviews_the_clinic_and_the_vet_of_a_completed_visit(
    db_session: AsyncSession, rows: Rows, practice: Practice
) -> None:
    alice, bob = await rows.person(), await rows.person()
    first, second = await visit(rows, practice, alice), await visit(rows, practice, bob, days_ago=5)

    await create_clinic_review(
        db_session, alice.actor, ClinicReviewCreate(appointment_id=first.id, rating=4, title="Kind")
    )
    await create_clinic_review(
        db_session, bob.actor, ClinicReviewCreate(appointment_id=second.id, rating=5)
    )
    await create_veterinarian_review(
        db_session, alice.actor, VeterinarianReviewCreate(appointment_id=first.id, rating=3)
    )

    assert (practice.clinic.rating_average, practice.clinic.review_count) == (Decimal("4.50"), 2)
    vet = practice.vet.profile
    assert (vet.rating_average, vet.review_count) == (Decimal("3.00"), 1)


async def test_averages_are_rounded_to_cents(
    db_session: AsyncSession, rows: Rows, practice: Practice
) -> None:
    for days_ago, rating in ((1, 5), (2, 4), (3, 4)):
        owner = await rows.person()
        appointment = await visit(rows, practice, owner, days_ago=days_ago)
        await create_clinic_review(
            db_session,
            owner.actor,
            ClinicReviewCreate(appointment_id=appointment.id, rating=rating),
        )

    assert practice.clinic.rating_average == Decimal("4.33")
    assert practice.clinic.review_count == 3


async def test_a_co_owner_of_the_pet_may_review_too(
    db_session: AsyncSession, rows: Rows, practice: Practice
) -> None:
    owner, partner = await rows.person(), await rows.person()
    pet = await rows.pet(owner, co_owners=(partner,))
    appointment = await rows.appointment(pet, practice.vet, practice.clinic)

    review = await create_clinic_review(
        db_session, partner.actor, ClinicReviewCreate(appointment_id=appointment.id, rating=5)
    )
    assert review.author_id == partner.user.id


async def test_nobody_else_can_review_or_learn_the_visit_exists(
    db_session: AsyncSession, rows: Rows, practice: Practice
) -> None:
    appointment = await visit(rows, practice, await rows.person())
    stranger = await rows.person()
    receptionist = await rows.staff(practice.clinic, StaffRole.RECEPTIONIST)

    for outsider in (stranger, receptionist, practice.vet.person):
        with pytest.raises(NotFoundException) as caught:
            await create_clinic_review(
                db_session,
                outsider.actor,
                ClinicReviewCreate(appointment_id=appointment.id, rating=1),
            )
        assert caught.value.code == "APPOINTMENT_NOT_FOUND"
    assert practice.clinic.review_count == 0


@pytest.mark.parametrize(
    "status",
    [AppointmentStatus.SCHEDULED, AppointmentStatus.IN_PROGRESS, AppointmentStatus.NO_SHOW],
)
async def test_only_a_completed_appointment_can_be_reviewed(
    status: AppointmentStatus, db_session: AsyncSession, rows: Rows, practice: Practice
) -> None:
    owner = await rows.person()
    appointment = await visit(rows, practice, owner, status=status)

    with pytest.raises(BusinessRuleException) as caught:
        await create_veterinarian_review(
            db_session,
            owner.actor,
            VeterinarianReviewCreate(appointment_id=appointment.id, rating=5),
        )
    assert caught.value.code == "REVIEW_NOT_ALLOWED"


async def test_one_review_per_appointment(
    db_session: AsyncSession, rows: Rows, practice: Practice
) -> None:
    owner = await rows.person()
    appointment = await visit(rows, practice, owner)
    data = ClinicReviewCreate(appointment_id=appointment.id, rating=2)
    await create_clinic_review(db_session, owner.actor, data)

    with pytest.raises(ConflictException) as caught:
        await create_clinic_review(db_session, owner.actor, data.model_copy(update={"rating": 5}))

    assert caught.value.code == "REVIEW_ALREADY_EXISTS"
    assert (practice.clinic.rating_average, practice.clinic.review_count) == (Decimal("2.00"), 1)


def test_a_rating_is_one_to_five_stars() -> None:
    for rating in (0, 6):
        with pytest.raises(ValidationError):
            ClinicReviewCreate.model_validate(
                {"appointment_id": "01a20000-0000-7000-8000-000000000000", "rating": rating}
            )


async def test_editing_and_withdrawing_a_review_update_the_aggregate(
    db_session: AsyncSession, rows: Rows, practice: Practice
) -> None:
    alice, bob = await rows.person(), await rows.person()
    a = await create_clinic_review(
        db_session,
        alice.actor,
        ClinicReviewCreate(appointment_id=(await visit(rows, practice, alice)).id, rating=1),
    )
    await create_clinic_review(
        db_session,
        bob.actor,
        ClinicReviewCreate(
            appointment_id=(await visit(rows, practice, bob, days_ago=9)).id, rating=5
        ),
    )

    await update_review(db_session, alice.actor, ClinicReview, a.id, ClinicReviewUpdate(rating=3))
    assert practice.clinic.rating_average == Decimal("4.00")
    with pytest.raises(NotFoundException):
        await update_review(db_session, bob.actor, ClinicReview, a.id, ClinicReviewUpdate(rating=1))

    await delete_review(db_session, alice.actor, ClinicReview, a.id)
    assert (practice.clinic.rating_average, practice.clinic.review_count) == (Decimal("5.00"), 1)
    assert [r.author_id for r in await list_clinic_reviews(db_session, practice.clinic.id)] == [
        bob.user.id
    ]


async def test_lists_show_published_reviews_newest_first(
    db_session: AsyncSession, rows: Rows, practice: Practice
) -> None:
    reviews = []
    for days_ago in (4, 2, 6):
        owner = await rows.person()
        appointment = await visit(rows, practice, owner, days_ago=days_ago)
        reviews.append(
            await create_veterinarian_review(
                db_session,
                owner.actor,
                VeterinarianReviewCreate(appointment_id=appointment.id, rating=4),
            )
        )
    reviews[1].status = ReviewStatus.HIDDEN
    await db_session.flush()

    listed = await list_veterinarian_reviews(db_session, practice.vet.profile.id)

    assert [r.id for r in listed] == [reviews[2].id, reviews[0].id]


async def test_concurrent_reviews_of_one_clinic_leave_true_aggregates(
    committed_session_factory: SessionFactory,
) -> None:
    ratings = [5, 4, 3, 5, 1, 2, 4, 5]
    async with transaction(committed_session_factory) as session:
        rows = Rows(session)
        clinic = await rows.clinic()
        practice = Practice(clinic, await rows.veterinarian(clinic))
        visits = []
        for day, _ in enumerate(ratings):
            owner = await rows.person()
            visits.append((owner, await visit(rows, practice, owner, days_ago=day + 1)))

    async def review(owner: Person, appointment: Appointment, rating: int) -> None:
        async with transaction(committed_session_factory) as session:
            await create_clinic_review(
                session,
                owner.actor,
                ClinicReviewCreate(appointment_id=appointment.id, rating=rating),
            )
            await create_veterinarian_review(
                session,
                owner.actor,
                VeterinarianReviewCreate(appointment_id=appointment.id, rating=rating),
            )

    await asyncio.gather(
        *(
            review(owner, appointment, r)
            for (owner, appointment), r in zip(visits, ratings, strict=True)
        )
    )

    # 29 / 8 = 3.625, rounded half up as the service does.
    expected = (Decimal(sum(ratings)) / len(ratings)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert expected == Decimal("3.63")
    async with transaction(committed_session_factory) as session:
        stored_clinic = await session.get_one(Clinic, clinic.id)
        stored_vet = await session.get_one(Veterinarian, practice.vet.profile.id)
        vet_reviews = (await session.execute(select(VeterinarianReview.id))).scalars().all()
    assert (stored_clinic.rating_average, stored_clinic.review_count) == (expected, 8)
    assert (stored_vet.rating_average, stored_vet.review_count) == (expected, 8)
    assert len(vet_reviews) == 8
