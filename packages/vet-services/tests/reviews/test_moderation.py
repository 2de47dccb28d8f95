"""Moderation: clinic and platform admins hide, publish again and flag reviews; people report."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from payments.builders import Person, Rows, Vet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import (
    BusinessRuleException,
    ConflictException,
    NotFoundException,
    PermissionDeniedException,
)
from vet_core.models.audit import AuditLog
from vet_core.models.clinics import Clinic
from vet_core.models.enums import ReviewStatus, StaffRole, UserRole
from vet_core.models.reviews import ClinicReview, VeterinarianReview
from vet_core.schemas.reviews import (
    ClinicReviewCreate,
    ModerationAction,
    ReviewModerationCreate,
    ReviewReportCreate,
    VeterinarianReviewCreate,
)
from vet_services.auth.permissions import Actor
from vet_services.reviews import (
    create_clinic_review,
    create_veterinarian_review,
    list_clinic_reviews,
    list_veterinarian_reviews,
    moderate_review,
    report_review,
)


def decision(action: ModerationAction, reason: str = "breaks the rules") -> ReviewModerationCreate:
    return ReviewModerationCreate(action=action, reason=reason)


async def reviewed(
    db_session: AsyncSession, rows: Rows, clinic: Clinic, vet: Vet, rating: int
) -> tuple[Person, ClinicReview, VeterinarianReview]:
    author = await rows.person()
    visit = await rows.appointment(await rows.pet(author), vet, clinic)
    of_clinic = await create_clinic_review(
        db_session, author.actor, ClinicReviewCreate(appointment_id=visit.id, rating=rating)
    )
    of_vet = await create_veterinarian_review(
        db_session, author.actor, VeterinarianReviewCreate(appointment_id=visit.id, rating=rating)
    )
    return author, of_clinic, of_vet


async def test_hiding_removes_a_review_from_lists_and_aggregates_and_unhiding_restores_it(
    db_session: AsyncSession, rows: Rows
) -> None:
    clinic = await rows.clinic()
    vet = await rows.veterinarian(clinic)
    admin = await rows.staff(clinic, StaffRole.CLINIC_ADMIN)
    _, good, good_vet = await reviewed(db_session, rows, clinic, vet, 5)
    _, bad, bad_vet = await reviewed(db_session, rows, clinic, vet, 1)
    assert (clinic.rating_average, clinic.review_count) == (Decimal("3.00"), 2)

    hidden = await moderate_review(
        db_session, admin.actor, ClinicReview, bad.id, decision(ModerationAction.HIDE, "slur")
    )
    assert hidden.status is ReviewStatus.HIDDEN
    assert (hidden.moderation_reason, hidden.moderated_by_id) == ("slur", admin.user.id)
    assert hidden.moderated_at is not None
    assert (clinic.rating_average, clinic.review_count) == (Decimal("5.00"), 1)
    assert [r.id for r in await list_clinic_reviews(db_session, clinic.id)] == [good.id]

    await moderate_review(
        db_session, admin.actor, VeterinarianReview, bad_vet.id, decision(ModerationAction.HIDE)
    )
    assert (vet.profile.rating_average, vet.profile.review_count) == (Decimal("5.00"), 1)
    assert [r.id for r in await list_veterinarian_reviews(db_session, vet.profile.id)] == [
        good_vet.id
    ]

    shown = await moderate_review(
        db_session, admin.actor, ClinicReview, bad.id, decision(ModerationAction.UNHIDE, "ok")
    )
    assert shown.status is ReviewStatus.PUBLISHED
    assert (clinic.rating_average, clinic.review_count) == (Decimal("3.00"), 2)
    logged = (
        await db_session.execute(
            select(AuditLog)
            .where(AuditLog.entity_id == bad.id)
            .order_by(AuditLog.occurred_at, AuditLog.id)
        )
    ).scalars()
    assert [entry.changes["status"]["after"] for entry in logged] == ["hidden", "published"]


async def test_flagging_keeps_the_review_published(db_session: AsyncSession, rows: Rows) -> None:
    clinic = await rows.clinic()
    vet = await rows.veterinarian(clinic)
    _, review, _ = await reviewed(db_session, rows, clinic, vet, 4)
    platform = Actor(role=UserRole.PLATFORM_ADMIN, user_id=(await rows.person()).user.id)

    flagged = await moderate_review(
        db_session, platform, ClinicReview, review.id, decision(ModerationAction.FLAG)
    )
    assert flagged.flagged_at is not None
    assert flagged.status is ReviewStatus.PUBLISHED
    assert clinic.review_count == 1
    unflagged = await moderate_review(
        db_session, platform, ClinicReview, review.id, decision(ModerationAction.UNFLAG)
    )
    assert unflagged.flagged_at is None


async def test_only_the_clinics_admins_and_platform_admins_moderate(
    db_session: AsyncSession, rows: Rows
) -> None:
    clinic, other = await rows.clinic(), await rows.clinic()
    vet = await rows.veterinarian(clinic)
    author, review, vet_review = await reviewed(db_session, rows, clinic, vet, 2)
    outsiders = [
        author,
        await rows.person(),
        await rows.staff(clinic, StaffRole.RECEPTIONIST),
        vet.person,
        await rows.staff(other, StaffRole.CLINIC_ADMIN),
    ]
    for outsider in outsiders:
        with pytest.raises(PermissionDeniedException):  # a published review is public
            await moderate_review(
                db_session,
                outsider.actor,
                VeterinarianReview,
                vet_review.id,
                decision(ModerationAction.HIDE),
            )

    admin = await rows.staff(clinic, StaffRole.CLINIC_ADMIN)
    await moderate_review(
        db_session, admin.actor, ClinicReview, review.id, decision(ModerationAction.HIDE)
    )
    stranger = await rows.person()
    with pytest.raises(NotFoundException):  # a hidden review is nobody else's business
        await moderate_review(
            db_session, stranger.actor, ClinicReview, review.id, decision(ModerationAction.UNHIDE)
        )
    with pytest.raises(PermissionDeniedException):  # its author still sees it
        await moderate_review(
            db_session, author.actor, ClinicReview, review.id, decision(ModerationAction.UNHIDE)
        )
    with pytest.raises(NotFoundException):
        await moderate_review(
            db_session, admin.actor, ClinicReview, uuid.uuid4(), decision(ModerationAction.HIDE)
        )


async def test_people_report_a_published_review_once(db_session: AsyncSession, rows: Rows) -> None:
    clinic = await rows.clinic()
    vet = await rows.veterinarian(clinic)
    admin = await rows.staff(clinic, StaffRole.CLINIC_ADMIN)
    author, review, vet_review = await reviewed(db_session, rows, clinic, vet, 1)
    reader, another = await rows.person(), await rows.person()

    report = await report_review(
        db_session, reader.actor, ClinicReview, review.id, ReviewReportCreate(reason="spam")
    )
    assert (report.clinic_review_id, report.veterinarian_review_id) == (review.id, None)
    assert report.reporter_id == reader.user.id
    await report_review(
        db_session, another.actor, ClinicReview, review.id, ReviewReportCreate(reason="rude")
    )
    assert review.report_count == 2
    with pytest.raises(ConflictException) as twice:
        await report_review(
            db_session, reader.actor, ClinicReview, review.id, ReviewReportCreate(reason="again")
        )
    assert twice.value.code == "REVIEW_ALREADY_REPORTED"
    with pytest.raises(BusinessRuleException):
        await report_review(
            db_session, author.actor, ClinicReview, review.id, ReviewReportCreate(reason="me")
        )
    of_vet = await report_review(
        db_session, reader.actor, VeterinarianReview, vet_review.id, ReviewReportCreate(reason="x")
    )
    assert of_vet.veterinarian_review_id == vet_review.id

    await moderate_review(
        db_session, admin.actor, VeterinarianReview, vet_review.id, decision(ModerationAction.HIDE)
    )
    with pytest.raises(NotFoundException):
        await report_review(
            db_session,
            another.actor,
            VeterinarianReview,
            vet_review.id,
            ReviewReportCreate(reason="hidden already"),
        )
    key = Actor(role=None, api_key_id=uuid.uuid4(), memberships={clinic.id: StaffRole.CLINIC_ADMIN})
    with pytest.raises(PermissionDeniedException):
        await report_review(
            db_session, key, ClinicReview, review.id, ReviewReportCreate(reason="x")
        )
