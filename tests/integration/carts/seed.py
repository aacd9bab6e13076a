"""Catalog rows the cart tests buy from (written with the ORM: the catalog services are another issue)."""

from __future__ import annotations

from decimal import Decimal

from catalog.models import Product, StockLevel, Variant, Warehouse


def seed_variant(
    sku: str, *, price: str = "12.50", on_hand: int = 100, currency: str = "EUR", active: bool = True
) -> Variant:
    product, _ = Product.objects.get_or_create(slug=f"p-{sku.lower()}", defaults={"name": f"Product {sku}"})
    variant = Variant.objects.create(
        product=product, sku=sku, name=f"Variant {sku}", price=Decimal(price), currency=currency, is_active=active
    )
    warehouse, _ = Warehouse.objects.get_or_create(code="main", defaults={"name": "Main"})
    StockLevel.objects.create(variant=variant, warehouse=warehouse, on_hand=on_hand)
    return variant
