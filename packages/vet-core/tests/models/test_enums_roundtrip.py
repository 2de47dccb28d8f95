"""Every member of every enum column survives the real database, stored by *value*.

An earlier implementation stored member names while its migration checked values and broke on
the first insert; these tests are generated from the mapped enum columns so a new enum or
member is covered without anyone listing it.
"""

from __future__ import annotations

import enum

import pytest
from sqlalchemy import Enum, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from vet_core.models import Base, Pet
from vet_core.models import enums as enums_module
from vet_core.models.enums import Species


def _enum_columns() -> list[tuple[type[Base], str, type[enum.Enum]]]:
    found = []
    for mapper in Base.registry.mappers:
        model = mapper.class_
        for column in mapper.columns:
            if isinstance(column.type, Enum) and column.type.enum_class is not None:
                found.append((model, column.key, column.type.enum_class))
    return sorted(found, key=lambda item: (item[0].__tablename__, item[1]))


ENUM_COLUMNS = _enum_columns()


def test_every_enum_is_used_by_a_column():
    used = {enum_class for _, _, enum_class in ENUM_COLUMNS}
    declared = {
        value
        for value in vars(enums_module).values()
        if isinstance(value, type)
        and issubclass(value, enum.Enum)
        and value.__module__ == enums_module.__name__
    }
    assert declared - used == set()


@pytest.mark.parametrize(
    "enum_class", sorted({e for _, _, e in ENUM_COLUMNS}, key=lambda e: e.__name__)
)
def test_enum_values_are_lowercase_and_distinct(enum_class):
    values = [member.value for member in enum_class]
    assert all(value == value.lower() for value in values)
    assert len(set(values)) == len(values)


@pytest.mark.parametrize(
    ("model", "attribute", "enum_class"),
    ENUM_COLUMNS,
    ids=[f"{m.__tablename__}.{a}" for m, a, _ in ENUM_COLUMNS],
)
async def test_every_member_round_trips_by_value(db_session, factory, model, attribute, enum_class):
    table = model.__tablename__
    column_name = model.__table__.c[attribute].name
    for member in enum_class:
        row = await factory.create(model, **{attribute: member})
        primary_key = row.id
        db_session.expunge(row)  # read back from the database, not the identity map

        loaded = (
            await db_session.execute(select(model).where(model.id == primary_key))
        ).scalar_one()
        assert getattr(loaded, attribute) is member

        raw = (
            await db_session.execute(
                text(f'SELECT "{column_name}" FROM "{table}" WHERE id = :id'), {"id": primary_key}
            )
        ).scalar_one()
        assert raw == member.value


@pytest.mark.parametrize(
    ("model", "attribute", "enum_class"),
    ENUM_COLUMNS,
    ids=[f"{m.__tablename__}.{a}" for m, a, _ in ENUM_COLUMNS],
)
async def test_check_constraint_rejects_member_names_and_unknown_strings(
    db_session, factory, model, attribute, enum_class
):
    table = model.__tablename__
    column_name = model.__table__.c[attribute].name
    row = await factory.create(model)
    member = next(iter(enum_class))
    if table == "audit_logs":
        # Append-only (a trigger refuses UPDATE): insert a copy carrying the bad value instead.
        statement = text(
            f"INSERT INTO audit_logs SELECT (jsonb_populate_record(NULL::audit_logs, to_jsonb(a)"
            f" || jsonb_build_object('id', gen_random_uuid(), '{column_name}', CAST(:bad AS text)))).*"
            " FROM audit_logs a WHERE id = :id"
        )
    else:
        statement = text(f'UPDATE "{table}" SET "{column_name}" = :bad WHERE id = :id')
    for bad in (member.name, "not_a_member"):
        with pytest.raises(IntegrityError, match=f"ck_{table}_{column_name}"):
            async with db_session.begin_nested():
                await db_session.execute(statement, {"bad": bad, "id": row.id})


async def test_the_orm_refuses_unknown_strings_before_the_database(db_session, factory):
    with pytest.raises(StatementError, match="dragon"):
        async with db_session.begin_nested():
            await factory.create(Pet, species="dragon")


async def test_plain_strings_are_accepted_and_read_back_as_members(db_session, factory):
    pet = await factory.create(Pet, species="cat")
    pet_id = pet.id
    db_session.expunge_all()
    loaded = (await db_session.execute(select(Pet).where(Pet.id == pet_id))).scalar_one()
    assert loaded.species is Species.CAT
