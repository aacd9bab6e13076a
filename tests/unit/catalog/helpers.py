"""Small builders for catalog tests (real services, real database)."""

from __future__ import annotations

from decimal import Decimal

from catalog.models import StockLevel, StockMovement, Variant
from catalog.services import product_upsert, stock_adjust, variant_upsert, warehouse_get_or_create


def make_variant(
    sku: str = "SKU-1", *, product: str = "Widget", price: str = "10.00", currency: str = "EUR"
) -> Variant:
    prod, _ = product_upsert(name=product)
    variant, _ = variant_upsert(sku=sku, product=prod, name=f"{sku} name", price=Decimal(price), currency=currency)
    return variant


def receive(sku: str, warehouse: str, quantity: int) -> StockMovement:
    warehouse_get_or_create(code=warehouse)
    return stock_adjust(sku=sku, warehouse_code=warehouse, kind="receive", quantity=quantity, reason="test", actor="t")


def allocate(sku: str, warehouse: str, quantity: int) -> None:
    """Test setup only: reservations belong to catalog.stock; here we just need some units held."""
    StockLevel.objects.filter(variant__sku=sku, warehouse__code=warehouse).update(allocated=quantity)


def ledger_sum(sku: str, warehouse: str) -> int:
    rows = StockMovement.objects.filter(variant__sku=sku, warehouse__code=warehouse)
    return sum(row.on_hand_delta for row in rows)
