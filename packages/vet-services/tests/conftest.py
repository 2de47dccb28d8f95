"""Shared fixtures of the service tests: a row builder bound to the test's session."""

from __future__ import annotations

import pytest
from factories import Builder
from sqlalchemy.ext.asyncio import AsyncSession


@pytest.fixture
def build(db_session: AsyncSession) -> Builder:
    """Rows flushed inside the test's rolled-back transaction."""
    return Builder(db_session)
