"""Reviews of clinics and veterinarians: one per completed appointment of one's own.

Who may review: the person who booked the appointment, or a current owner of the pet, once the
appointment is ``completed``; anyone else is told the appointment does not exist. The database
allows one review per appointment (a unique key); a second is ``REVIEW_ALREADY_EXISTS``.

The aggregates (``rating_average``, ``review_count`` of the clinic or veterinarian) change in
the same transaction as the review. They are recomputed from the published reviews, after
locking the reviewed row: concurrent reviews of one clinic queue on that lock, and each
recomputation then reads every review committed before it (READ COMMITTED takes a fresh
snapshot per statement), so the last one to commit always writes the true aggregate.

Moderation: clinic admins of the review's clinic (``review:moderate``; a veterinarian review
belongs to the clinic of its appointment) and platform admins hide a review, publish it again,
or flag it for a closer look, each time with a reason, which the review keeps together with who
decided and when (and the audit log keeps every decision). Hiding or publishing recomputes the
aggregate in the same transaction. Anyone signed in may report a published review once
(:class:`~vet_core.models.reviews.ReviewReport`); ``report_count`` follows.
"""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import (
    BusinessRuleException,
    ConflictException,
    NotFoundException,
    PermissionDeniedException,
    SchemaValidationException,
)
from vet_core.models.clinics import Clinic
from vet_core.models.enums import AppointmentStatus, AuditAction, ReviewStatus
from vet_core.models.pets import PetOwnership
from vet_core.models.reviews import ClinicReview, ReviewReport, VeterinarianReview
from vet_core.models.scheduling import Appointment
from vet_core.models.veterinarians import Veterinarian
from vet_core.schemas.reviews import (
    ClinicReviewCreate,
    ModerationAction,
    ReviewModerationCreate,
    ReviewReportCreate,
    ReviewUpdate,
    VeterinarianReviewCreate,
)
from vet_core.utils.time import utcnow
from vet_services.audit import record_change, snapshot
from vet_services.auth.permissions import Action, Actor

Review = ClinicReview | VeterinarianReview
ReviewT = TypeVar("ReviewT", ClinicReview, VeterinarianReview)

_CENT = Decimal("0.01")


def _appointment_not_found() -> NotFoundException:
    return NotFoundException("Appointment not found", code="APPOINTMENT_NOT_FOUND")


async def _reviewable_appointment(
    session: AsyncSession, actor: Actor, appointment_id: uuid.UUID
) -> Appointment:
    """The appointment, if the caller took part in it as its booker or the pet's owner."""
    appointment = (
        await session.execute(
            select(Appointment).where(
                Appointment.id == appointment_id, Appointment.deleted_at.is_(None)
            )
        )
    ).scalar_one_or_none()
    if appointment is None or actor.user_id is None:
        raise _appointment_not_found()
    if appointment.booked_by_id != actor.user_id:
        owner = await session.execute(
            select(PetOwnership.id).where(
                PetOwnership.pet_id == appointment.pet_id,
                PetOwnership.user_id == actor.user_id,
                PetOwnership.ended_at.is_(None),
            )
        )
        if owner.first() is None:
            raise _appointment_not_found()
    if appointment.status is not AppointmentStatus.COMPLETED:
        raise BusinessRuleException(
            "Only a completed appointment can be reviewed",
            details={"status": appointment.status.value},
            code="REVIEW_NOT_ALLOWED",
        )
    return appointment


def _check_rating(rating: int) -> None:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise SchemaValidationException(
            "rating must be a whole number from 1 to 5", details={"field": "rating"}
        )


def _average(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP)


async def _refresh_clinic_rating(session: AsyncSession, clinic: Clinic) -> None:
    average, count = (
        await session.execute(
            select(func.avg(ClinicReview.rating), func.count()).where(
                ClinicReview.clinic_id == clinic.id,
                ClinicReview.deleted_at.is_(None),
                ClinicReview.status == ReviewStatus.PUBLISHED,
            )
        )
    ).one()
    clinic.rating_average, clinic.review_count = _average(average), int(count)
    await session.flush()


async def _refresh_veterinarian_rating(session: AsyncSession, vet: Veterinarian) -> None:
    average, count = (
        await session.execute(
            select(func.avg(VeterinarianReview.rating), func.count()).where(
                VeterinarianReview.veterinarian_id == vet.id,
                VeterinarianReview.deleted_at.is_(None),
                VeterinarianReview.status == ReviewStatus.PUBLISHED,
            )
        )
    ).one()
    vet.rating_average, vet.review_count = _average(average), int(count)
    await session.flush()


async def _locked_clinic(session: AsyncSession, clinic_id: uuid.UUID) -> Clinic:
    return (
        await session.execute(select(Clinic).where(Clinic.id == clinic_id).with_for_update())
    ).scalar_one()


async def _locked_veterinarian(session: AsyncSession, vet_id: uuid.UUID) -> Veterinarian:
    return (
        await session.execute(
            select(Veterinarian).where(Veterinarian.id == vet_id).with_for_update()
        )
    ).scalar_one()


async def _insert_once(session: AsyncSession, review: Review) -> None:
    session.add(review)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:
        if "appointment_id" not in str(error.orig):
            raise
        raise ConflictException(
            "This appointment has already been reviewed",
            details={"appointment_id": str(review.appointment_id)},
            code="REVIEW_ALREADY_EXISTS",
        ) from error


async def create_clinic_review(
    session: AsyncSession, actor: Actor, data: ClinicReviewCreate
) -> ClinicReview:
    """Review the clinic of one's own completed appointment; the clinic's rating follows."""
    _check_rating(data.rating)
    appointment = await _reviewable_appointment(session, actor, data.appointment_id)
    clinic = await _locked_clinic(session, appointment.clinic_id)
    review = ClinicReview(
        clinic_id=clinic.id,
        author_id=actor.user_id,
        appointment_id=appointment.id,
        rating=data.rating,
        title=data.title,
        body=data.body,
        status=ReviewStatus.PUBLISHED,
    )
    await _insert_once(session, review)
    await _refresh_clinic_rating(session, clinic)
    return review


async def create_veterinarian_review(
    session: AsyncSession, actor: Actor, data: VeterinarianReviewCreate
) -> VeterinarianReview:
    """Review the veterinarian who saw the pet; the veterinarian's rating follows."""
    _check_rating(data.rating)
    appointment = await _reviewable_appointment(session, actor, data.appointment_id)
    vet = await _locked_veterinarian(session, appointment.veterinarian_id)
    review = VeterinarianReview(
        veterinarian_id=vet.id,
        author_id=actor.user_id,
        appointment_id=appointment.id,
        rating=data.rating,
        title=data.title,
        body=data.body,
        status=ReviewStatus.PUBLISHED,
    )
    await _insert_once(session, review)
    await _refresh_veterinarian_rating(session, vet)
    return review


async def _own_review(
    session: AsyncSession, actor: Actor, model: type[ReviewT], review_id: uuid.UUID
) -> ReviewT:
    review = (
        await session.execute(
            select(model).where(model.id == review_id, model.deleted_at.is_(None))
        )
    ).scalar_one_or_none()
    if review is None or review.author_id != actor.user_id:
        raise NotFoundException("Review not found", code="REVIEW_NOT_FOUND")
    return review


async def _refresh_for(session: AsyncSession, review: Review) -> None:
    """Lock the reviewed row, then recompute its aggregate (the same order as creation)."""
    if isinstance(review, ClinicReview):
        await _refresh_clinic_rating(session, await _locked_clinic(session, review.clinic_id))
    else:
        vet = await _locked_veterinarian(session, review.veterinarian_id)
        await _refresh_veterinarian_rating(session, vet)


async def update_review(
    session: AsyncSession,
    actor: Actor,
    model: type[ReviewT],
    review_id: uuid.UUID,
    data: ReviewUpdate,
) -> ReviewT:
    """The author edits their review (``model``: ClinicReview or VeterinarianReview)."""
    review = await _own_review(session, actor, model, review_id)
    changes = data.changes()
    if "rating" in changes:
        _check_rating(changes["rating"])
    for name, value in changes.items():
        setattr(review, name, value)
    await session.flush()
    await _refresh_for(session, review)
    return review


async def delete_review(
    session: AsyncSession, actor: Actor, model: type[ReviewT], review_id: uuid.UUID
) -> None:
    """The author withdraws their review; the aggregate no longer counts it."""
    review = await _own_review(session, actor, model, review_id)
    review.soft_delete()
    await session.flush()
    await _refresh_for(session, review)


async def list_clinic_reviews(
    session: AsyncSession, clinic_id: uuid.UUID, *, limit: int = 20, offset: int = 0
) -> list[ClinicReview]:
    """A clinic's published reviews, newest first."""
    query = (
        select(ClinicReview)
        .where(
            ClinicReview.clinic_id == clinic_id,
            ClinicReview.deleted_at.is_(None),
            ClinicReview.status == ReviewStatus.PUBLISHED,
        )
        .order_by(ClinicReview.created_at.desc(), ClinicReview.id.desc())
        .limit(max(1, min(limit, 100)))
        .offset(offset)
    )
    return list((await session.execute(query)).scalars())


async def list_veterinarian_reviews(
    session: AsyncSession, veterinarian_id: uuid.UUID, *, limit: int = 20, offset: int = 0
) -> list[VeterinarianReview]:
    """A veterinarian's published reviews, newest first."""
    query = (
        select(VeterinarianReview)
        .where(
            VeterinarianReview.veterinarian_id == veterinarian_id,
            VeterinarianReview.deleted_at.is_(None),
            VeterinarianReview.status == ReviewStatus.PUBLISHED,
        )
        .order_by(VeterinarianReview.created_at.desc(), VeterinarianReview.id.desc())
        .limit(max(1, min(limit, 100)))
        .offset(offset)
    )
    return list((await session.execute(query)).scalars())


def _review_not_found() -> NotFoundException:
    return NotFoundException("Review not found", code="REVIEW_NOT_FOUND")


def _entity_type(review: Review) -> str:
    return "clinic_review" if isinstance(review, ClinicReview) else "veterinarian_review"


async def review_clinic_id(session: AsyncSession, review: Review) -> uuid.UUID:
    """The clinic a review is about: its own, or for a veterinarian the appointment's clinic."""
    if isinstance(review, ClinicReview):
        return review.clinic_id
    return (
        await session.execute(
            select(Appointment.clinic_id).where(Appointment.id == review.appointment_id)
        )
    ).scalar_one()


def may_moderate(actor: Actor, clinic_id: uuid.UUID) -> bool:
    """Platform admins, and those whose role at the clinic may moderate its reviews."""
    return (actor.is_platform_admin and actor.api_key_id is None) or clinic_id in (
        actor.staff_clinic_ids(Action.REVIEW_MODERATE)
    )


_MODERATION_FIELDS = (
    "status",
    "flagged_at",
    "moderation_reason",
    "moderated_at",
    "moderated_by_id",
)


async def moderate_review(
    session: AsyncSession,
    actor: Actor,
    model: type[ReviewT],
    review_id: uuid.UUID,
    data: ReviewModerationCreate,
) -> ReviewT:
    """Hide, publish again, flag or unflag a review, with a reason.

    A review that is published is public, so a caller who may not moderate it gets
    ``PERMISSION_DENIED`` (403); one that is not published is ``REVIEW_NOT_FOUND`` (404) to
    anyone but its author, its clinic's staff and moderators. Hiding or publishing again
    recomputes the clinic's (or veterinarian's) rating in the same transaction.
    """
    review = (
        await session.execute(
            select(model).where(model.id == review_id, model.deleted_at.is_(None))
        )
    ).scalar_one_or_none()
    if review is None:
        raise _review_not_found()
    clinic_id = await review_clinic_id(session, review)
    if not may_moderate(actor, clinic_id):
        related = (
            review.status is ReviewStatus.PUBLISHED
            or review.author_id == actor.user_id
            or clinic_id in actor.staff_clinic_ids()
        )
        if not related:
            raise _review_not_found()
        raise PermissionDeniedException(
            "Your role may not moderate this review",
            details={"action": Action.REVIEW_MODERATE.value},
        )
    before = snapshot(review, _MODERATION_FIELDS)
    was_published = review.status is ReviewStatus.PUBLISHED
    now = utcnow()
    match data.action:
        case ModerationAction.HIDE:
            review.status = ReviewStatus.HIDDEN
        case ModerationAction.UNHIDE:
            review.status = ReviewStatus.PUBLISHED
        case ModerationAction.FLAG:
            review.flagged_at = review.flagged_at or now
        case ModerationAction.UNFLAG:
            review.flagged_at = None
    review.moderation_reason = data.reason
    review.moderated_at = now
    review.moderated_by_id = actor.user_id
    await session.flush()
    if was_published != (review.status is ReviewStatus.PUBLISHED):
        await _refresh_for(session, review)
    await record_change(
        session,
        actor,
        AuditAction.UPDATE,
        _entity_type(review),
        review.id,
        before=before,
        after=snapshot(review, _MODERATION_FIELDS),
    )
    return review


async def report_review(
    session: AsyncSession,
    actor: Actor,
    model: type[ReviewT],
    review_id: uuid.UUID,
    data: ReviewReportCreate,
) -> ReviewReport:
    """Report a published review to its moderators (once per person and review).

    A review that is not published (or does not exist) is ``REVIEW_NOT_FOUND``; one's own
    review cannot be reported (``REVIEW_REPORT_NOT_ALLOWED``, 422); a second report by the same
    person is ``REVIEW_ALREADY_REPORTED`` (409).
    """
    if actor.user_id is None:
        raise PermissionDeniedException(
            "Only a signed-in person can report a review", code="REVIEW_REPORT_NOT_ALLOWED"
        )
    review = (
        await session.execute(
            select(model).where(
                model.id == review_id,
                model.deleted_at.is_(None),
                model.status == ReviewStatus.PUBLISHED,
            )
        )
    ).scalar_one_or_none()
    if review is None:
        raise _review_not_found()
    if review.author_id == actor.user_id:
        raise BusinessRuleException(
            "You cannot report your own review; edit or withdraw it instead",
            code="REVIEW_REPORT_NOT_ALLOWED",
        )
    report = ReviewReport(
        clinic_review_id=review.id if isinstance(review, ClinicReview) else None,
        veterinarian_review_id=review.id if isinstance(review, VeterinarianReview) else None,
        reporter_id=actor.user_id,
        reason=data.reason,
    )
    reported_id = review.id  # the failed savepoint below expires every loaded object
    try:
        async with session.begin_nested():
            session.add(report)
            await session.flush()
    except IntegrityError as error:
        if "reporter_id" not in str(error.orig):
            raise
        raise ConflictException(
            "You have already reported this review",
            details={"review_id": str(reported_id)},
            code="REVIEW_ALREADY_REPORTED",
        ) from error
    await session.execute(
        update(model)
        .where(model.id == review.id)
        .values(report_count=model.report_count + 1)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(review, ["report_count"])
    await record_change(
        session, actor, AuditAction.CREATE, "review_report", report.id, after=snapshot(report)
    )
    return report


__all__ = [
    "create_clinic_review",
    "create_veterinarian_review",
    "delete_review",
    "list_clinic_reviews",
    "list_veterinarian_reviews",
    "may_moderate",
    "moderate_review",
    "report_review",
    "review_clinic_id",
    "update_review",
]
