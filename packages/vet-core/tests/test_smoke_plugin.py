from sqlalchemy import text


async def test_session_runs_inside_rolled_back_transaction(db_session):
    assert (await db_session.execute(text("SELECT 1"))).scalar_one() == 1


async def test_redis_is_real(redis):
    await redis.set("k", "v")
    assert await redis.get("k") == "v"
