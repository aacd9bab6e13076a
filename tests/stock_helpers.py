"""Test data for stock: variants with stock in warehouses, written with ledger rows like real receipts."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum

from catalog.models import Product, StockLevel, StockMovement, Variant, Warehouse


def warehouse(code: str, *, priority: int = 100, is_active: bool = True) -> Warehouse:
    return Warehouse.objects.get_or_create(
        code=code, defaults={"name": code.upper(), "priority": priority, "is_active": is_active}
    )[0]


def variant(sku: str, *, price: str = "10.00", currency: str = "EUR") -> Variant:
    product = Product.objects.get_or_create(slug=f"p-{sku.lower()}", defaults={"name": f"Product {sku}"})[0]
    return Variant.objects.get_or_create(
        sku=sku, defaults={"product": product, "name": sku, "price": Decimal(price), "currency": currency}
    )[0]


def stock(sku: str, warehouse_code: str, on_hand: int, *, priority: int = 100) -> StockLevel:
    """Receive ``on_hand`` units of ``sku`` into a warehouse (creating both if needed), with a ledger row."""
    v, w = variant(sku), warehouse(warehouse_code, priority=priority)
    level, _ = StockLevel.objects.get_or_create(variant=v, warehouse=w)
    StockLevel.objects.filter(pk=level.pk).update(on_hand=level.on_hand + on_hand)
    StockMovement.objects.create(variant=v, warehouse=w, kind=StockMovement.Kind.RECEIVE, on_hand_delta=on_hand)
    level.refresh_from_db()
    return level


def level(sku: str, warehouse_code: str) -> StockLevel:
    return StockLevel.objects.get(variant__sku=sku, warehouse__code=warehouse_code)


def assert_ledger_matches_levels() -> None:
    """Every level equals the sum of its ledger rows, and no level is negative or over-allocated."""
    sums: dict[tuple[int, int], tuple[int, int]] = defaultdict(lambda: (0, 0))
    rows = StockMovement.objects.values("variant_id", "warehouse_id").annotate(
        on_hand=Sum("on_hand_delta"), allocated=Sum("allocated_delta")
    )
    for row in rows:
        sums[(row["variant_id"], row["warehouse_id"])] = (row["on_hand"], row["allocated"])
    for lv in StockLevel.objects.all():
        assert 0 <= lv.allocated <= lv.on_hand, lv
        assert sums[(lv.variant_id, lv.warehouse_id)] == (lv.on_hand, lv.allocated), lv
