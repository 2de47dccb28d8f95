"""PostgreSQL extensions the schema relies on.

btree_gist: exclusion constraints mixing equality and ranges (no double-booked veterinarian).
pg_trgm: fuzzy name search. cube + earthdistance: indexed nearest-clinic search.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXTENSIONS = ("btree_gist", "pg_trgm", "cube", "earthdistance")


def upgrade() -> None:
    for name in EXTENSIONS:
        op.execute(f"CREATE EXTENSION IF NOT EXISTS {name}")


def downgrade() -> None:
    for name in reversed(EXTENSIONS):
        op.execute(f"DROP EXTENSION IF EXISTS {name}")
