"""Fixtures for the pet tests (the builders live in ``pet_world``, shared with clinical/)."""

from __future__ import annotations

import pytest
from pet_world import Person, PetWorld, unique
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["Person", "PetWorld", "unique"]


@pytest.fixture
def world(db_session: AsyncSession) -> PetWorld:
    return PetWorld(db_session)
