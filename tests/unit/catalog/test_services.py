from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction

from catalog.errors import StockBelowAllocated
from catalog.models import Product, StockLevel, StockMovement, Variant, Warehouse
from catalog.services import (
    Change,
    product_upsert,
    stock_adjust,
    stock_set_on_hand,
    variant_upsert,
    warehouse_get_or_create,
)
from oms_project.errors import ErrorCode, InvalidInput, NotFound
from tests.unit.catalog.helpers import allocate, ledger_sum, make_variant, receive

pytestmark = pytest.mark.django_db


def test_product_upsert_creates_then_updates_only_given_fields() -> None:
    product, change = product_upsert(name="Desk Lamp", description="Bright", category="Home")
    assert change == Change.CREATED and product.slug == "desk-lamp"

    same, change = product_upsert(name="Desk Lamp")
    assert change == Change.UNCHANGED and same.pk == product.pk and same.description == "Bright"

    _, change = product_upsert(name="Desk Lamp", category="Office")
    assert change == Change.UPDATED
    product.refresh_from_db()
    assert product.category == "Office" and product.description == "Bright"
    assert Product.objects.count() == 1


def test_product_upsert_requires_a_name() -> None:
    with pytest.raises(InvalidInput):
        product_upsert(name="  ")


def test_variant_upsert_moves_and_updates() -> None:
    lamp, _ = product_upsert(name="Lamp")
    shade, _ = product_upsert(name="Shade")
    variant, change = variant_upsert(sku="L-1", product=lamp, name="Small", price=Decimal("9.50"), currency="EUR")
    assert change == Change.CREATED
    _, change = variant_upsert(sku="L-1", product=lamp, name="Small", price=Decimal("9.5"), currency="EUR")
    assert change == Change.UNCHANGED
    _, change = variant_upsert(sku="L-1", product=shade, name="Small", price=Decimal("11.00"), currency="EUR")
    assert change == Change.UPDATED
    variant.refresh_from_db()
    assert variant.product == shade and variant.price == Decimal("11.00")


@pytest.mark.parametrize(
    ("sku", "price", "currency", "field"),
    [
        ("OK-1", "-1.00", "EUR", "price"),
        ("OK-1", "1.005", "EUR", "price"),
        ("OK-1", "100.5", "JPY", "price"),
        ("OK-1", "1.00", "XYZ", "currency"),
        ("bad sku!", "1.00", "EUR", "sku"),
    ],
)
def test_variant_upsert_rejects_bad_values(sku: str, price: str, currency: str, field: str) -> None:
    product, _ = product_upsert(name="Lamp")
    with pytest.raises(InvalidInput) as info:
        variant_upsert(sku=sku, product=product, name="x", price=Decimal(price), currency=currency)
    assert info.value.field == field
    assert not Variant.objects.exists()


def test_warehouse_get_or_create_keeps_existing_settings() -> None:
    warehouse, created = warehouse_get_or_create(code="main", name="Main", priority=5)
    assert created and warehouse.priority == 5
    again, created = warehouse_get_or_create(code="main", name="Other", priority=50)
    assert not created and again.priority == 5 and again.name == "Main"
    with pytest.raises(InvalidInput):
        warehouse_get_or_create(code="no spaces")


def test_set_on_hand_writes_the_delta_to_the_ledger() -> None:
    make_variant("A-1")
    warehouse_get_or_create(code="main")
    first = stock_set_on_hand(sku="A-1", warehouse_code="main", on_hand=10, kind="import", reason="r", actor="me")
    second = stock_set_on_hand(sku="A-1", warehouse_code="main", on_hand=7, kind="import", reason="r", actor="me")
    assert (first.on_hand_delta, second.on_hand_delta) == (10, -3)
    assert second.actor == "me" and second.kind == "import"
    assert stock_set_on_hand(sku="A-1", warehouse_code="main", on_hand=7, kind="import", reason="r", actor="me") is None
    assert StockLevel.objects.get().on_hand == 7 == ledger_sum("A-1", "main")
    assert StockMovement.objects.count() == 2


def test_set_on_hand_refuses_below_allocated() -> None:
    make_variant("A-1")
    receive("A-1", "main", 10)
    allocate("A-1", "main", 6)
    with pytest.raises(StockBelowAllocated) as info:
        stock_set_on_hand(sku="A-1", warehouse_code="main", on_hand=5, kind="correct", reason="count", actor="me")
    assert info.value.code == ErrorCode.STOCK_BELOW_ALLOCATED
    assert "6 unit(s) are allocated" in info.value.message
    assert StockLevel.objects.get().on_hand == 10 and StockMovement.objects.count() == 1
    stock_set_on_hand(sku="A-1", warehouse_code="main", on_hand=6, kind="correct", reason="count", actor="me")
    assert StockLevel.objects.get().on_hand == 6


def test_set_on_hand_idempotency_key_applies_once() -> None:
    make_variant("A-1")
    warehouse_get_or_create(code="main")
    args = {"sku": "A-1", "warehouse_code": "main", "kind": "receive", "reason": "r", "actor": "me"}
    first = stock_set_on_hand(on_hand=5, idempotency_key="k1", **args)
    again = stock_set_on_hand(on_hand=9, idempotency_key="k1", **args)
    assert again.pk == first.pk
    assert StockLevel.objects.get().on_hand == 5 and StockMovement.objects.count() == 1


@pytest.mark.parametrize("on_hand", [-1, 1.5, "3", True])
def test_set_on_hand_rejects_non_counts(on_hand: object) -> None:
    make_variant("A-1")
    warehouse_get_or_create(code="main")
    with pytest.raises(InvalidInput):
        stock_set_on_hand(sku="A-1", warehouse_code="main", on_hand=on_hand, kind="import", reason="", actor="")


def test_set_on_hand_unknown_sku_or_warehouse() -> None:
    make_variant("A-1")
    warehouse_get_or_create(code="main")
    with pytest.raises(NotFound):
        stock_set_on_hand(sku="NOPE", warehouse_code="main", on_hand=1, kind="import", reason="", actor="")
    with pytest.raises(NotFound):
        stock_set_on_hand(sku="A-1", warehouse_code="nope", on_hand=1, kind="import", reason="", actor="")
    assert not StockLevel.objects.exists()


def test_adjust_receive_write_off_and_correct() -> None:
    make_variant("A-1")
    receive("A-1", "main", 10)
    common = {"sku": "A-1", "warehouse_code": "main", "actor": "admin:x"}
    off = stock_adjust(kind="write_off", quantity=3, reason="broken", **common)
    fix = stock_adjust(kind="correct", quantity=-2, reason="recount", **common)
    up = stock_adjust(kind="correct", quantity=4, reason="found a box", **common)
    assert [off.on_hand_delta, fix.on_hand_delta, up.on_hand_delta] == [-3, -2, 4]
    assert off.reason == "broken" and off.kind == "write_off"
    assert StockLevel.objects.get().on_hand == 9 == ledger_sum("A-1", "main")


@pytest.mark.parametrize(
    ("kind", "quantity", "reason", "field"),
    [
        ("receive", 0, "x", "quantity"),
        ("receive", -1, "x", "quantity"),
        ("write_off", -2, "x", "quantity"),
        ("correct", 0, "x", "quantity"),
        ("receive", 1, "  ", "reason"),
        ("reserve", 1, "x", "kind"),
        ("import", 1, "x", "kind"),
    ],
)
def test_adjust_rejects_bad_input(kind: str, quantity: int, reason: str, field: str) -> None:
    make_variant("A-1")
    warehouse_get_or_create(code="main")
    with pytest.raises(InvalidInput) as info:
        stock_adjust(sku="A-1", warehouse_code="main", kind=kind, quantity=quantity, reason=reason, actor="t")
    assert info.value.field == field
    assert not StockMovement.objects.exists()


def test_adjust_never_below_zero_or_allocated() -> None:
    make_variant("A-1")
    receive("A-1", "main", 5)
    with pytest.raises(StockBelowAllocated, match="would be -1, but stock cannot be negative"):
        stock_adjust(sku="A-1", warehouse_code="main", kind="write_off", quantity=6, reason="x", actor="t")
    allocate("A-1", "main", 4)
    with pytest.raises(StockBelowAllocated):
        stock_adjust(sku="A-1", warehouse_code="main", kind="correct", quantity=-2, reason="x", actor="t")
    level = StockLevel.objects.get()
    assert (level.on_hand, level.allocated) == (5, 4)
    assert StockMovement.objects.count() == 1


def test_database_check_is_the_last_line() -> None:
    make_variant("A-1")
    receive("A-1", "main", 2)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.update(allocated=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.update(on_hand=-1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_write_offs_never_oversell_and_ledger_matches() -> None:
    make_variant("A-1")
    receive("A-1", "main", 10)
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def worker() -> None:
        start.wait()
        try:
            for _ in range(5):
                try:
                    stock_adjust(sku="A-1", warehouse_code="main", kind="write_off", quantity=1, reason="x", actor="t")
                    result = "ok"
                except StockBelowAllocated:
                    result = "refused"
                with lock:
                    outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()
    assert outcomes.count("ok") == 10 and outcomes.count("refused") == 10
    assert StockLevel.objects.get().on_hand == 0 == ledger_sum("A-1", "main")
    assert Warehouse.objects.count() == 1
