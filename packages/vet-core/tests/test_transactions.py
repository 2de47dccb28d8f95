"""Whole transactions and retries on the real PostgreSQL."""

import asyncio

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from vet_core.database import (
    backoff_delay,
    create_session_factory,
    is_retryable_transaction_error,
    run_in_transaction,
    transaction,
)
from vet_core.exceptions import RetryableTransactionException


@pytest_asyncio.fixture(loop_scope="session")
async def ledger(db_engine):
    """A scratch table of the test's own; really committed, dropped afterwards."""
    async with db_engine.begin() as connection:
        await connection.execute(text("DROP TABLE IF EXISTS scratch_ledger"))
        await connection.execute(
            text("CREATE TABLE scratch_ledger (id serial PRIMARY KEY, account text, amount int)")
        )
    yield create_session_factory(db_engine)
    async with db_engine.begin() as connection:
        await connection.execute(text("DROP TABLE scratch_ledger"))


async def count_rows(factory) -> int:
    async with transaction(factory) as session:
        return (await session.execute(text("SELECT count(*) FROM scratch_ledger"))).scalar_one()


async def test_transaction_commits_when_the_block_succeeds(ledger):
    async with transaction(ledger) as session:
        await session.execute(text("INSERT INTO scratch_ledger (account, amount) VALUES ('a', 1)"))
    assert await count_rows(ledger) == 1


async def test_transaction_that_raises_leaves_no_row_behind(ledger):
    with pytest.raises(RuntimeError, match="boom"):
        async with transaction(ledger) as session:
            await session.execute(
                text("INSERT INTO scratch_ledger (account, amount) VALUES ('a', 1), ('b', 2)")
            )
            await session.flush()
            raise RuntimeError("boom")
    assert await count_rows(ledger) == 0


async def test_a_failing_statement_rolls_back_the_earlier_ones(ledger):
    with pytest.raises(IntegrityError):
        async with transaction(ledger) as session:
            await session.execute(text("INSERT INTO scratch_ledger (id, account) VALUES (1, 'a')"))
            await session.execute(text("INSERT INTO scratch_ledger (id, account) VALUES (1, 'b')"))
    assert await count_rows(ledger) == 0


@pytest.mark.parametrize("errcode", ["serialization_failure", "deadlock_detected"])
async def test_forced_conflict_is_retried_and_then_succeeds(ledger, errcode):
    attempts = 0

    async def work(session):
        nonlocal attempts
        attempts += 1
        await session.execute(text("INSERT INTO scratch_ledger (account, amount) VALUES ('x', 1)"))
        if attempts < 3:
            # A real error raised by the server with the SQLSTATE (40001 / 40P01).
            await session.execute(
                text(f"DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '{errcode}'; END $$")
            )
        return attempts

    assert await run_in_transaction(ledger, work, base_delay=0.001) == 3
    # The two failed attempts were rolled back entirely: only the third row exists.
    assert await count_rows(ledger) == 1


async def test_conflicts_that_outlive_every_attempt_become_a_clear_error(ledger):
    async def always_conflicts(session):
        await session.execute(
            text("DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = 'serialization_failure'; END $$")
        )

    with pytest.raises(RetryableTransactionException) as caught:
        await run_in_transaction(ledger, always_conflicts, attempts=3, base_delay=0.001)
    assert caught.value.details == {"sqlstate": "40001", "attempts": 3}
    assert caught.value.http_status == 409


async def test_other_errors_are_not_retried(ledger):
    attempts = 0

    async def broken(session):
        nonlocal attempts
        attempts += 1
        await session.execute(text("SELECT * FROM no_such_table"))

    with pytest.raises(DBAPIError) as caught:
        await run_in_transaction(ledger, broken)
    assert attempts == 1
    assert not is_retryable_transaction_error(caught.value)


async def test_real_serializable_write_skew_is_retried_until_both_succeed(ledger):
    """Two SERIALIZABLE transactions that each read what the other writes: one must fail with
    40001 and is then retried; in the end both transfers are recorded exactly once."""
    both_read = asyncio.Barrier(2)

    def transfer(account: str):
        first_attempt = True

        async def work(session):
            nonlocal first_attempt
            await session.execute(text("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"))
            await session.execute(text("SELECT coalesce(sum(amount), 0) FROM scratch_ledger"))
            if first_attempt:
                first_attempt = False
                await both_read.wait()
            await session.execute(
                text("INSERT INTO scratch_ledger (account, amount) VALUES (:a, 10)"), {"a": account}
            )

        return work

    await asyncio.gather(
        run_in_transaction(ledger, transfer("a"), base_delay=0.001),
        run_in_transaction(ledger, transfer("b"), base_delay=0.001),
    )
    async with transaction(ledger) as session:
        rows = (await session.execute(text("SELECT account FROM scratch_ledger ORDER BY 1"))).all()
    assert [row.account for row in rows] == ["a", "b"]


def test_backoff_is_exponential_with_full_jitter():
    for attempt in range(8):
        delays = [backoff_delay(attempt, base=0.1, cap=2.0) for _ in range(200)]
        assert all(0 <= d <= min(2.0, 0.1 * 2**attempt) for d in delays)
        assert len(set(delays)) > 1  # jittered, not lockstep
