"""Fixtures of the report and audit-query tests (builders in ``report_builders``)."""

from __future__ import annotations

import pytest
from report_builders import ReportBuilder
from sqlalchemy.ext.asyncio import AsyncSession


@pytest.fixture
def reports(db_session: AsyncSession) -> ReportBuilder:
    """A clinic's history (visits, payments, vaccinations, audit) in the rolled-back transaction."""
    return ReportBuilder(db_session)
