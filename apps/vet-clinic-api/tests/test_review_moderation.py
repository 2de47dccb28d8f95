"""Review moderation over HTTP: clinic and platform admins hide, unhide and flag; people report."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from vet_core.models.clinics import Clinic
from vet_core.models.enums import AppointmentStatus
from vet_core.models.identity import User

from conftest import Api, error_of

API = "/api/v1"


@dataclass
class Reviewed:
    clinic: Clinic
    vet: Any
    admin: User
    receptionist: User
    author: User
    clinic_review: dict[str, Any]
    vet_review: dict[str, Any]


async def reviewed(api: Api) -> Reviewed:
    """A clinic with a published clinic review (5 stars) and veterinarian review (2 stars)."""
    clinic = await api.clinic()
    _, vet = await api.veterinarian(clinic)
    author = await api.user()
    pet = await api.pet(author)
    starts = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    visit = await api.appointment(
        pet,
        vet,
        clinic,
        author,
        status=AppointmentStatus.COMPLETED,
        starts_at=starts,
        started_at=starts,
        completed_at=starts + timedelta(minutes=30),
    )
    body = {"appointment_id": str(visit.id), "rating": 5, "title": "Kind staff"}
    of_clinic = await api.client.post(f"{API}/reviews/clinic", json=body, headers=api.auth(author))
    assert of_clinic.status_code == 201, of_clinic.text
    of_vet = await api.client.post(
        f"{API}/reviews/veterinarian", json={**body, "rating": 2}, headers=api.auth(author)
    )
    assert of_vet.status_code == 201, of_vet.text
    return Reviewed(
        clinic=clinic,
        vet=vet,
        admin=await api.staff(clinic, "clinic_admin"),
        receptionist=await api.staff(clinic, "receptionist"),
        author=author,
        clinic_review=of_clinic.json(),
        vet_review=of_vet.json(),
    )


async def moderate(api: Api, who: User, kind: str, review_id: str, action: str) -> Any:
    return await api.client.post(
        f"{API}/reviews/{kind}/{review_id}/moderation",
        json={"action": action, "reason": f"{action} per policy"},
        headers=api.auth(who),
    )


async def test_a_clinic_admin_hides_a_review_and_it_leaves_the_lists_and_rating(api: Api) -> None:
    r = await reviewed(api)
    listed = f"{API}/clinics/{r.clinic.id}/reviews"
    assert len((await api.client.get(listed)).json()) == 1

    hidden = await moderate(api, r.admin, "clinic", r.clinic_review["id"], "hide")
    assert hidden.status_code == 200, hidden.text
    assert hidden.json()["status"] == "hidden"
    assert hidden.json()["moderation_reason"] == "hide per policy"
    assert hidden.json()["moderated_by_id"] == str(r.admin.id)
    assert (await api.client.get(listed)).json() == []
    await api.session.refresh(r.clinic)
    assert r.clinic.review_count == 0
    assert r.clinic.rating_average is None

    # A hidden review is no one's business but its author's, its clinic's and moderators'.
    stranger = await api.user()
    unseen = await moderate(api, stranger, "clinic", r.clinic_review["id"], "unhide")
    assert unseen.status_code == 404
    assert error_of(unseen)["code"] == "REVIEW_NOT_FOUND"
    staff_only = await moderate(api, r.receptionist, "clinic", r.clinic_review["id"], "unhide")
    assert staff_only.status_code == 403
    reported = await api.client.post(
        f"{API}/reviews/clinic/{r.clinic_review['id']}/report",
        json={"reason": "rude"},
        headers=api.auth(stranger),
    )
    assert reported.status_code == 404

    shown = await moderate(api, r.admin, "clinic", r.clinic_review["id"], "unhide")
    assert shown.json()["status"] == "published"
    assert [x["id"] for x in (await api.client.get(listed)).json()] == [r.clinic_review["id"]]
    await api.session.refresh(r.clinic)
    assert r.clinic.review_count == 1


async def test_veterinarian_reviews_are_moderated_by_the_visits_clinic(api: Api) -> None:
    r = await reviewed(api)
    other_admin = await api.staff(await api.clinic(), "clinic_admin")
    review_id = r.vet_review["id"]
    listed = f"{API}/veterinarians/{r.vet.id}/reviews"

    refused = await moderate(api, other_admin, "veterinarian", review_id, "hide")
    assert refused.status_code == 403  # the review is public; their role here is nothing
    flagged = await moderate(api, r.admin, "veterinarian", review_id, "flag")
    assert flagged.status_code == 200, flagged.text
    assert flagged.json()["flagged_at"] is not None
    assert flagged.json()["status"] == "published"  # flagged is still shown
    assert len((await api.client.get(listed)).json()) == 1
    unflagged = await moderate(api, r.admin, "veterinarian", review_id, "unflag")
    assert unflagged.json()["flagged_at"] is None

    platform = await api.user("platform_admin")
    hidden = await moderate(api, platform, "veterinarian", review_id, "hide")
    assert hidden.status_code == 200
    assert (await api.client.get(listed)).json() == []
    await api.session.refresh(r.vet)
    assert r.vet.review_count == 0


async def test_moderation_requests_are_checked(api: Api) -> None:
    r = await reviewed(api)
    path = f"{API}/reviews/clinic/{r.clinic_review['id']}/moderation"
    for body, field in (
        ({"action": "delete", "reason": "x"}, "body.action"),
        ({"action": "hide"}, "body.reason"),
        ({"action": "hide", "reason": ""}, "body.reason"),
    ):
        invalid = await api.client.post(path, json=body, headers=api.auth(r.admin))
        assert invalid.status_code == 422
        assert error_of(invalid)["details"]["fields"][0]["field"] == field
    missing = await moderate(api, r.admin, "clinic", str(uuid.uuid4()), "hide")
    assert missing.status_code == 404
    # A clinic review id is not a veterinarian review id.
    wrong_kind = await moderate(api, r.admin, "veterinarian", r.clinic_review["id"], "hide")
    assert wrong_kind.status_code == 404
    anonymous = await api.client.post(path, json={"action": "hide", "reason": "x"})
    assert anonymous.status_code == 401
    author = await moderate(api, r.author, "clinic", r.clinic_review["id"], "hide")
    assert author.status_code == 403


async def test_people_report_a_review_once(api: Api) -> None:
    r = await reviewed(api)
    reader = await api.user()
    path = f"{API}/reviews/clinic/{r.clinic_review['id']}/report"

    reported = await api.client.post(
        path, json={"reason": "Advertises another clinic"}, headers=api.auth(reader)
    )
    assert reported.status_code == 201, reported.text
    report = reported.json()
    assert report["clinic_review_id"] == r.clinic_review["id"]
    assert report["veterinarian_review_id"] is None
    assert report["reporter_id"] == str(reader.id)
    twice = await api.client.post(path, json={"reason": "again"}, headers=api.auth(reader))
    assert twice.status_code == 409
    assert error_of(twice)["code"] == "REVIEW_ALREADY_REPORTED"
    own = await api.client.post(path, json={"reason": "oops"}, headers=api.auth(r.author))
    assert own.status_code == 422
    assert error_of(own)["code"] == "REVIEW_REPORT_NOT_ALLOWED"
    invalid = await api.client.post(path, json={"reason": ""}, headers=api.auth(reader))
    assert invalid.status_code == 422
    assert error_of(invalid)["details"]["fields"][0]["field"] == "body.reason"
    assert (await api.client.post(path, json={"reason": "x"})).status_code == 401
    vet_report = await api.client.post(
        f"{API}/reviews/veterinarian/{r.vet_review['id']}/report",
        json={"reason": "Not about the vet"},
        headers=api.auth(reader),
    )
    assert vet_report.status_code == 201
    assert vet_report.json()["veterinarian_review_id"] == r.vet_review["id"]

    # Moderators see how often a review was reported.
    flagged = await moderate(api, r.admin, "clinic", r.clinic_review["id"], "flag")
    assert flagged.json()["report_count"] == 1
