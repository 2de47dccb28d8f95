"""The catalogue: what is on sale where, and who may change it."""

from __future__ import annotations

import pytest
from payments.builders import Rows
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import ConflictException, NotFoundException, PermissionDeniedException
from vet_core.models.enums import ProductType, StaffRole
from vet_core.schemas.commerce import ProductCreate, ProductUpdate
from vet_services.commerce.catalog import (
    create_product,
    get_product,
    is_prescription_only,
    list_products,
    update_product,
)


async def test_a_clinic_admin_adds_and_reprices_a_product(
    db_session: AsyncSession, rows: Rows
) -> None:
    clinic = await rows.clinic()
    admin = await rows.staff(clinic, StaffRole.CLINIC_ADMIN)

    product = await create_product(
        db_session,
        admin.actor,
        ProductCreate(
            clinic_id=clinic.id,
            sku="CARP-75",
            name="Carprofen 75mg",
            product_type=ProductType.MEDICATION,
            unit_amount=1_850,
            currency="USD",
            stock_quantity=40,
        ),
    )
    changed = await update_product(
        db_session, admin.actor, product.id, ProductUpdate(unit_amount=1_990)
    )

    assert changed.unit_amount == 1_990
    assert is_prescription_only(changed)
    assert (await get_product(db_session, product.id)).stock_quantity == 40


async def test_a_sku_is_unique_within_a_clinic(db_session: AsyncSession, rows: Rows) -> None:
    clinic = await rows.clinic()
    admin = await rows.staff(clinic, StaffRole.CLINIC_ADMIN)
    data = ProductCreate(
        clinic_id=clinic.id,
        sku="LEASH-1",
        name="Leash",
        product_type=ProductType.SUPPLY,
        unit_amount=900,
        currency="USD",
    )
    await create_product(db_session, admin.actor, data)

    with pytest.raises(ConflictException) as caught:
        await create_product(db_session, admin.actor, data)
    assert caught.value.code == "PRODUCT_SKU_TAKEN"


async def test_receptionists_and_other_clinics_cannot_change_the_catalogue(
    db_session: AsyncSession, rows: Rows
) -> None:
    clinic = await rows.clinic()
    product = await rows.product(clinic)
    receptionist = await rows.staff(clinic, StaffRole.RECEPTIONIST)
    elsewhere = await rows.staff(await rows.clinic(), StaffRole.CLINIC_ADMIN)

    with pytest.raises(PermissionDeniedException):
        await update_product(db_session, receptionist.actor, product.id, ProductUpdate(name="x"))
    with pytest.raises(NotFoundException):
        await update_product(db_session, elsewhere.actor, product.id, ProductUpdate(name="x"))


async def test_a_clinic_lists_its_own_active_products(db_session: AsyncSession, rows: Rows) -> None:
    clinic, other = await rows.clinic(), await rows.clinic()
    food = await rows.product(clinic, name="A kibble")
    medicine = await rows.product(clinic, name="B drops", product_type=ProductType.MEDICATION)
    retired = await rows.product(clinic, name="C old")
    retired.is_active = False
    await rows.product(other, name="Elsewhere")

    listed = await list_products(db_session, clinic_id=clinic.id)
    medicines = await list_products(
        db_session, clinic_id=clinic.id, product_type=ProductType.MEDICATION
    )

    assert [p.id for p in listed] == [food.id, medicine.id]
    assert [p.id for p in medicines] == [medicine.id]
