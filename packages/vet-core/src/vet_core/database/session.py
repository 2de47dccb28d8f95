"""Sessions and whole transactions.

Services receive an ``AsyncSession`` and never commit; whoever opened the transaction (a request,
a job, a command) commits once at the end or rolls everything back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from vet_core.database.errors import translate_connection_errors

SessionFactory = async_sessionmaker[AsyncSession]


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    """A session factory whose objects stay readable after commit (no hidden reloads)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


@asynccontextmanager
async def transaction(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """Open a session and a transaction; commit if the block succeeds, roll back if it raises.

    Nothing of a failed block survives: every statement of it is rolled back together.
    Connection failures surface as :class:`~vet_core.exceptions.ConnectionException`.
    """
    with translate_connection_errors():
        async with factory() as session, session.begin():
            yield session
