"""Migrations ship in the package, round-trip, and match the models exactly."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from vet_core.database import create_engine
from vet_core.migrations import MIGRATIONS_DIR, alembic_config, downgrade, upgrade
from vet_core.models import Base
from vet_core.testing import migrate, run_sync


def test_migrations_ship_inside_the_package():
    assert (MIGRATIONS_DIR / "env.py").is_file()
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_current_head() is not None


async def _tables(url) -> set[str]:
    engine = create_engine(url=url, pooled=False)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
            return {row[0] for row in rows}
    finally:
        await engine.dispose()


def test_upgrade_downgrade_upgrade_round_trip(fresh_database_url):
    url = fresh_database_url.render_as_string(hide_password=False)
    config = alembic_config(url)
    upgrade(config, "head")
    expected = {table.name for table in Base.metadata.sorted_tables} | {"alembic_version"}
    assert run_sync(_tables(fresh_database_url)) == expected
    downgrade(config, "base")
    assert run_sync(_tables(fresh_database_url)) <= {"alembic_version"}
    upgrade(config, "head")
    assert run_sync(_tables(fresh_database_url)) == expected


async def _drift(url) -> list:
    engine = create_engine(url=url, pooled=False)
    try:
        async with engine.connect() as connection:

            def compare(sync_connection):
                context = MigrationContext.configure(
                    sync_connection,
                    opts={"compare_type": True, "compare_server_default": True},
                )
                return compare_metadata(context, Base.metadata)

            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


def test_autogenerate_finds_no_drift_between_models_and_migrations(fresh_database_url):
    migrate(fresh_database_url)
    assert run_sync(_drift(fresh_database_url)) == []
