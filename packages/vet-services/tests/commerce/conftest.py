"""Fixtures of the shop tests: rows built in the test's rolled-back transaction."""

from __future__ import annotations

import pytest
from payments.builders import Rows
from sqlalchemy.ext.asyncio import AsyncSession


@pytest.fixture
def rows(db_session: AsyncSession) -> Rows:
    return Rows(db_session)
