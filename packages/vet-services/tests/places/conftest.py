"""Fixtures of the clinic search and emergency tests (builders in ``places_builders``)."""

from __future__ import annotations

import pytest
from places_builders import PlacesBuilder
from sqlalchemy.ext.asyncio import AsyncSession


@pytest.fixture
def places(db_session: AsyncSession) -> PlacesBuilder:
    """Clinics, veterinarians and appointments flushed in the test's rolled-back transaction."""
    return PlacesBuilder(db_session)
