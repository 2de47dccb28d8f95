"""Alembic migrations shipped inside the package, with a small programmatic API.

The environment is async-aware: given a URL it runs on its own event loop; given a live
connection (``config.attributes["connection"]``, as the test harness does) it uses that.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from vet_core.database.engine import build_database_url

MIGRATIONS_DIR = Path(__file__).parent


def alembic_config(url: str | None = None, *, connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` pointing at the packaged migrations and at ``url`` (or ``connection``)."""
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    if url is not None:
        rendered = build_database_url(url).render_as_string(hide_password=False)
        # ConfigParser interpolation treats % specially.
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(config: Config, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    command.upgrade(config, revision)


def downgrade(config: Config, revision: str) -> None:
    """Revert migrations down to ``revision`` (``base`` reverts them all)."""
    command.downgrade(config, revision)
