"""Version tokens: opaque, changed by any update, and accepted in the forms If-Match takes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from vet_core.exceptions import ConflictException
from vet_services.clinical.concurrency import PreconditionFailed, check_version, version_token

RECORD = uuid.uuid4()
AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_the_token_is_stable_and_moves_with_updated_at():
    assert version_token(RECORD, AT) == version_token(RECORD, AT)
    assert version_token(RECORD, AT) != version_token(RECORD, AT + timedelta(microseconds=1))
    assert version_token(RECORD, AT) != version_token(uuid.uuid4(), AT)


@pytest.mark.parametrize(
    "header",
    ["{v}", '"{v}"', 'W/"{v}"', '"stale", "{v}"', "*"],
)
def test_if_match_forms_are_accepted(header):
    check_version(RECORD, AT, header.format(v=version_token(RECORD, AT)))


def test_a_stale_token_is_a_412_conflict():
    stale = version_token(RECORD, AT - timedelta(seconds=1))

    with pytest.raises(PreconditionFailed) as caught:
        check_version(RECORD, AT, stale)

    assert isinstance(caught.value, ConflictException)
    assert (caught.value.code, caught.value.http_status) == ("VERSION_MISMATCH", 412)
    assert caught.value.details == {"current_version": version_token(RECORD, AT)}
