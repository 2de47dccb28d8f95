"""The shop's catalogue: products a clinic (or the whole platform) sells.

Medications (``product_type = medication``) are prescription-only: the order service lets
them be ordered only for a pet with an active prescription, and holds such orders for a
veterinarian's approval.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import ConflictException, NotFoundException
from vet_core.models.commerce import Product
from vet_core.models.enums import AuditAction, ProductType
from vet_core.schemas.commerce import ProductCreate, ProductUpdate
from vet_services.audit import record_change, snapshot
from vet_services.auth.permissions import Action, Actor, Resource, authorize, require_role

#: Product types sold only against an active prescription for the pet.
PRESCRIPTION_ONLY_TYPES = frozenset({ProductType.MEDICATION})


def is_prescription_only(product: Product) -> bool:
    """Whether ordering ``product`` needs a prescription and a veterinarian's approval."""
    return product.product_type in PRESCRIPTION_ONLY_TYPES


def _product_not_found() -> NotFoundException:
    return NotFoundException("Product not found", code="PRODUCT_NOT_FOUND")


async def list_products(
    session: AsyncSession,
    *,
    clinic_id: uuid.UUID | None = None,
    product_type: ProductType | None = None,
    include_inactive: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> list[Product]:
    """Products on sale at ``clinic_id`` (its own and the platform-wide ones), by name."""
    query = select(Product).where(Product.deleted_at.is_(None))
    if clinic_id is not None:
        query = query.where((Product.clinic_id == clinic_id) | Product.clinic_id.is_(None))
    if product_type is not None:
        query = query.where(Product.product_type == product_type)
    if not include_inactive:
        query = query.where(Product.is_active.is_(True))
    query = query.order_by(Product.name, Product.id).limit(max(1, min(limit, 200))).offset(offset)
    return list((await session.execute(query)).scalars())


async def get_product(session: AsyncSession, product_id: uuid.UUID) -> Product:
    """One product that has not been deleted."""
    product = (
        await session.execute(
            select(Product).where(Product.id == product_id, Product.deleted_at.is_(None))
        )
    ).scalar_one_or_none()
    if product is None:
        raise _product_not_found()
    return product


def _authorize_manage(actor: Actor, clinic_id: uuid.UUID | None) -> None:
    if clinic_id is None:
        require_role(actor)  # platform-wide products: platform admins only
        return
    authorize(actor, Action.CLINIC_MANAGE, Resource.of("clinic", clinic_id, clinics=[clinic_id]))


async def _flush_unique_sku(session: AsyncSession, sku: str) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:
        if "uq_products_clinic_id_sku" in str(error.orig):
            raise ConflictException(
                f"SKU {sku!r} is already used", details={"sku": sku}, code="PRODUCT_SKU_TAKEN"
            ) from error
        raise


async def create_product(session: AsyncSession, actor: Actor, data: ProductCreate) -> Product:
    """A new product; clinic admins add to their clinic, platform admins to the platform."""
    _authorize_manage(actor, data.clinic_id)
    product = Product(**data.model_dump(), created_by=actor.user_id, updated_by=actor.user_id)
    session.add(product)
    await _flush_unique_sku(session, data.sku)
    await record_change(
        session, actor, AuditAction.CREATE, "product", product.id, after=snapshot(product)
    )
    return product


async def update_product(
    session: AsyncSession, actor: Actor, product_id: uuid.UUID, data: ProductUpdate
) -> Product:
    """Change a product; orders already placed keep their price snapshots."""
    product = (
        await session.execute(
            select(Product)
            .where(Product.id == product_id, Product.deleted_at.is_(None))
            .with_for_update()
        )
    ).scalar_one_or_none()
    if product is None:
        raise _product_not_found()
    _authorize_manage(actor, product.clinic_id)
    changes = data.changes()
    before = snapshot(product, changes)
    for name, value in changes.items():
        setattr(product, name, value)
    product.updated_by = actor.user_id
    await _flush_unique_sku(session, product.sku)
    await record_change(
        session,
        actor,
        AuditAction.UPDATE,
        "product",
        product.id,
        before=before,
        after=snapshot(product, changes),
    )
    return product


__all__ = [
    "PRESCRIPTION_ONLY_TYPES",
    "create_product",
    "get_product",
    "is_prescription_only",
    "list_products",
    "update_product",
]
