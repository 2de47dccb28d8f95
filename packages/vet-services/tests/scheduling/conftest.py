"""The ready-made practice every scheduling test starts from (see ``factories.make_practice``)."""

from __future__ import annotations

import pytest_asyncio
from factories import Builder, Practice, make_practice


@pytest_asyncio.fixture(loop_scope="session")
async def practice(build: Builder) -> Practice:
    return await make_practice(build)
