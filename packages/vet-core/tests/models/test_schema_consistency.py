"""The models, the migrated database and the enum values agree beyond what autogenerate checks.

Autogenerate compares tables, columns, types, defaults and indexes, but not CHECK or EXCLUDE
constraints: these tests compare every named constraint of the metadata with the migrated
database, and every enum literal written inside a CHECK or partial-index predicate with the
enum of the column it is compared against.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import CheckConstraint, Enum, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from vet_core.models import Base

DIALECT = postgresql.dialect()


def _metadata_constraints() -> set[tuple[str, str]]:
    found = set()
    for table in Base.metadata.sorted_tables:
        ddl = str(CreateTable(table).compile(dialect=DIALECT))
        found |= {(table.name, name) for name in re.findall(r"CONSTRAINT (\S+) ", ddl)}
    return found


async def test_every_constraint_of_the_models_exists_in_the_database_and_no_other(db_session):
    rows = await db_session.execute(
        text(
            "SELECT c.relname, k.conname FROM pg_constraint k"
            " JOIN pg_class c ON c.oid = k.conrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relname <> 'alembic_version'"
            " AND k.contype IN ('c', 'f', 'p', 'u', 'x')"
        )
    )
    in_database = {(table, name) for table, name in rows}
    assert in_database == _metadata_constraints()


async def test_the_exclusion_constraint_is_in_the_database(db_session):
    definition = (
        await db_session.execute(
            text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conname = 'ex_appointments_veterinarian_overlap'"
            )
        )
    ).scalar_one()
    assert definition.startswith("EXCLUDE USING gist (veterinarian_id WITH =, tstzrange(")
    assert "deleted_at IS NULL" in definition


def _predicates() -> Iterator[tuple[str, str]]:
    """(table, SQL) of every CHECK constraint and partial-index predicate of the metadata."""
    for table in Base.metadata.sorted_tables:
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint):
                yield table.name, str(constraint.sqltext)
        for index in table.indexes:
            where = index.dialect_options["postgresql"]["where"]
            if where is not None:
                yield table.name, str(where)
        for constraint in table.constraints:
            where = getattr(constraint, "where", None)
            if where is not None:
                yield table.name, str(where)


LITERAL_COMPARISON = re.compile(r"(\w+)\s*(?:=|<>)\s*'([^']*)'|(\w+)\s+IN\s*\(([^)]*)\)")


def _enum_literals() -> list[tuple[str, str, str]]:
    found = []
    for table_name, sql in _predicates():
        table = Base.metadata.tables[table_name]
        for match in LITERAL_COMPARISON.finditer(sql):
            column = match.group(1) or match.group(3)
            if column not in table.c or not isinstance(table.c[column].type, Enum):
                continue
            literals = (
                [match.group(2)] if match.group(1) else re.findall(r"'([^']*)'", match.group(4))
            )
            found += [(table_name, column, literal) for literal in literals]
    return found


ENUM_LITERALS = sorted(set(_enum_literals()))  # table.constraints is a set: fix the order


def test_predicates_compare_enum_columns_with_literals():
    # Guard the parser: the known predicates must be found.
    assert ("appointments", "status", "cancelled") in ENUM_LITERALS
    assert ("pets", "status", "deceased") in ENUM_LITERALS
    assert len(ENUM_LITERALS) > 15


@pytest.mark.parametrize(
    ("table", "column", "literal"), ENUM_LITERALS, ids=["-".join(c) for c in ENUM_LITERALS]
)
def test_every_enum_literal_in_a_predicate_is_a_value_of_the_columns_enum(table, column, literal):
    enum_type = Base.metadata.tables[table].c[column].type
    assert literal in enum_type.enums
