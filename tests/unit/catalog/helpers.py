"""Small builders for catalog tests (real services, real database)."""

from __future__ import annotations

import io
from decimal import Decimal

from PIL import Image

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


def picture(colour: str = "red", image_format: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    """A small real image file (what an upload or an import brings)."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, image_format)
    return out.getvalue()
