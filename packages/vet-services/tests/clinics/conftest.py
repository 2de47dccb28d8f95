"""Fixtures of the clinic administration tests (the rows themselves: :mod:`clinic_world`)."""

from __future__ import annotations

import pytest
from clinic_world import Staffed, staffed_clinic
from factories import Builder
from sqlalchemy.ext.asyncio import AsyncSession


@pytest.fixture
async def world(db_session: AsyncSession) -> Staffed:
    return await staffed_clinic(Builder(db_session))
