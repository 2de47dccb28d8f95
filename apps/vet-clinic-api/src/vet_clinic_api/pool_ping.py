"""Pool pre-ping for a busy API: ping a pooled connection only when it sat idle for a while.

SQLAlchemy's ``pool_pre_ping`` pings on every checkout, and with asyncpg a ping is three round
trips (``BEGIN``, ``;``, ``ROLLBACK``: the dialect wraps it for pgbouncer), as many as the
request's own ``BEGIN``/``SELECT``/``COMMIT``. A connection that was checked in moments ago has
just answered a statement, so pinging it tells nothing the next statement will not: those are
used as they are. One that sat in the pool for ``idle_seconds`` or more (where server restarts,
failovers and idle-connection reapers catch connections) is pinged first, exactly as
``pool_pre_ping`` would: a dead one is replaced, and every connection pooled before it is
recycled on its next checkout.

A connection that dies in the short window is caught by the request that uses it: SQLAlchemy
sees the disconnect, invalidates the pool the same way, and the request answers 503
(``translate_connection_errors``); ``pool_recycle`` still replaces every connection after
``DATABASE_POOL_RECYCLE`` seconds.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

#: Where a pooled connection's last check-in time is kept (``record.info``).
_IDLE_SINCE = "vet_idle_since"
#: Set on a connection just opened: its first checkout needs no ping (as ``pool_pre_ping``).
_FRESH = "vet_fresh"


def ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Ping ``engine``'s pooled connections on checkout after ``idle_seconds`` in the pool.

    The engine must be created with ``pool_pre_ping=False``; ``idle_seconds=0`` pings on every
    checkout but a fresh connection's first, as ``pool_pre_ping`` does.
    """
    sync_engine = engine.sync_engine
    dialect = sync_engine.dialect

    def fresh(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_FRESH] = True

    def checked_in(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def check(
        dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
    ) -> None:
        if record.info.pop(_FRESH, False):
            return
        since = record.info.get(_IDLE_SINCE)
        if since is not None and time.monotonic() - since < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                # As pool_pre_ping: replace this one, recycle every older one on checkout.
                raise InvalidatePoolError() from error
            raise

    event.listen(sync_engine, "connect", fresh)
    event.listen(sync_engine, "checkin", checked_in)
    event.listen(sync_engine, "checkout", check)
