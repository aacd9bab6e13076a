"""Stock reservation services on the real database (PostgreSQL in CI, SQLite locally)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from catalog.contracts import Allocation, StockLine
from catalog.models import StockMovement
from catalog.stock import stock_fulfil, stock_held_by_order, stock_release, stock_reserve, stock_restock
from oms_project.errors import DomainError, ErrorCode, InsufficientStock, InvalidInput
from tests.stock_helpers import assert_ledger_matches_levels, level, stock, warehouse

pytestmark = pytest.mark.django_db


def reserve(order: str, *lines: tuple[str, int], key: str | None = None) -> list[Allocation]:
    return stock_reserve(
        order_number=order,
        lines=[StockLine(sku=sku, quantity=q) for sku, q in lines],
        idempotency_key=key or f"order-{order}:stock.reserve",
    )


def test_reserve_picks_highest_priority_warehouse_that_serves_the_whole_line() -> None:
    stock("SKU-A", "main", 3, priority=10)
    stock("SKU-A", "north", 8, priority=20)
    stock("SKU-A", "south", 8, priority=30)

    assert reserve("1001", ("SKU-A", 5)) == [Allocation("SKU-A", "north", 5)]
    assert reserve("1002", ("SKU-A", 2)) == [Allocation("SKU-A", "main", 2)]
    assert level("SKU-A", "north").allocated == 5
    assert level("SKU-A", "main").allocated == 2
    assert_ledger_matches_levels()


def test_reserve_splits_in_priority_order_when_no_warehouse_has_enough() -> None:
    stock("SKU-A", "main", 3, priority=10)
    stock("SKU-A", "north", 4, priority=20)
    stock("SKU-A", "south", 4, priority=30)

    assert reserve("1001", ("SKU-A", 9)) == [
        Allocation("SKU-A", "main", 3),
        Allocation("SKU-A", "north", 4),
        Allocation("SKU-A", "south", 2),
    ]
    assert stock_held_by_order("1001") == [
        Allocation("SKU-A", "main", 3),
        Allocation("SKU-A", "north", 4),
        Allocation("SKU-A", "south", 2),
    ]
    assert_ledger_matches_levels()


def test_inactive_warehouses_are_never_used() -> None:
    stock("SKU-A", "closed", 50, priority=1)
    warehouse("closed").__class__.objects.filter(code="closed").update(is_active=False)
    stock("SKU-A", "main", 2, priority=10)

    with pytest.raises(InsufficientStock) as exc:
        reserve("1001", ("SKU-A", 3))
    assert exc.value.details == {"sku": "SKU-A", "requested": 3, "available": 2}
    assert reserve("1002", ("SKU-A", 2)) == [Allocation("SKU-A", "main", 2)]


def test_reserve_is_all_or_nothing_and_names_the_failing_line() -> None:
    stock("SKU-A", "main", 5)
    stock("SKU-B", "main", 1)

    with pytest.raises(InsufficientStock) as exc:
        reserve("1001", ("SKU-A", 2), ("SKU-B", 2))

    assert exc.value.code == ErrorCode.INSUFFICIENT_STOCK
    assert exc.value.field == "lines[1].quantity"
    assert exc.value.details == {"sku": "SKU-B", "requested": 2, "available": 1}
    assert level("SKU-A", "main").allocated == 0
    assert not StockMovement.objects.filter(reference="1001").exists()


def test_two_lines_of_one_sku_share_its_stock() -> None:
    stock("SKU-A", "main", 3)
    with pytest.raises(InsufficientStock) as exc:
        reserve("1001", ("SKU-A", 2), ("SKU-A", 2))
    assert exc.value.field == "lines[1].quantity"
    assert exc.value.details["available"] == 1
    assert reserve("1002", ("SKU-A", 1), ("SKU-A", 2)) == [Allocation("SKU-A", "main", 3)]


def test_bad_lines_are_refused_before_touching_stock() -> None:
    stock("SKU-A", "main", 3)
    with pytest.raises(InvalidInput) as exc:
        reserve("1001", ("SKU-A", 0))
    assert (exc.value.code, exc.value.field) == (ErrorCode.INVALID_QUANTITY, "lines[0].quantity")
    with pytest.raises(DomainError) as unknown:
        reserve("1001", ("SKU-A", 1), ("NOPE", 1))
    assert (unknown.value.code, unknown.value.field) == (ErrorCode.UNKNOWN_SKU, "lines[1].sku")
    assert level("SKU-A", "main").allocated == 0


def test_repeated_reserve_with_the_same_key_returns_the_same_allocations_and_writes_nothing() -> None:
    stock("SKU-A", "main", 2, priority=10)
    stock("SKU-A", "north", 10, priority=20)
    first = reserve("1001", ("SKU-A", 2), key="k1")
    rows = StockMovement.objects.count()
    # Stock changed meanwhile: a fresh decision would pick another warehouse; the repeat must not.
    reserve("1002", ("SKU-A", 2), key="k2")

    assert reserve("1001", ("SKU-A", 2), key="k1") == first == [Allocation("SKU-A", "main", 2)]
    assert StockMovement.objects.count() == rows + 1  # only order 1002's row
    assert level("SKU-A", "main").allocated == 2


def test_release_gives_back_what_the_order_holds_and_is_safe_to_repeat() -> None:
    stock("SKU-A", "main", 5)
    stock("SKU-B", "main", 5)
    reserve("1001", ("SKU-A", 2), ("SKU-B", 3))

    released = stock_release(order_number="1001", idempotency_key="order-1001:stock.release")
    assert sorted(a.sku for a in released) == ["SKU-A", "SKU-B"]
    assert stock_release(order_number="1001", idempotency_key="order-1001:stock.release") == released
    assert stock_release(order_number="1001", idempotency_key="another-key") == []
    assert stock_held_by_order("1001") == []
    assert level("SKU-A", "main").allocated == level("SKU-B", "main").allocated == 0
    assert StockMovement.objects.filter(reference="1001", kind="release").count() == 2
    assert_ledger_matches_levels()


def test_release_without_a_reservation_is_a_noop() -> None:
    stock("SKU-A", "main", 5)
    assert stock_release(order_number="never-reserved", idempotency_key="k") == []
    assert not StockMovement.objects.filter(reference="never-reserved").exists()


def test_fulfil_then_restock() -> None:
    stock("SKU-A", "main", 5, priority=10)
    stock("SKU-A", "north", 5, priority=20)
    reserve("1001", ("SKU-A", 7))

    fulfilled = stock_fulfil(order_number="1001", idempotency_key="k-fulfil")
    assert fulfilled == [Allocation("SKU-A", "main", 5), Allocation("SKU-A", "north", 2)]
    assert stock_fulfil(order_number="1001", idempotency_key="k-fulfil") == fulfilled
    assert (level("SKU-A", "main").on_hand, level("SKU-A", "main").allocated) == (0, 0)
    assert (level("SKU-A", "north").on_hand, level("SKU-A", "north").allocated) == (3, 0)
    assert stock_held_by_order("1001") == []
    # Shipped stock is no longer the order's to release.
    assert stock_release(order_number="1001", idempotency_key="k-release") == []

    restocked = stock_restock(order_number="1001", idempotency_key="k-restock")
    assert restocked == fulfilled
    assert stock_restock(order_number="1001", idempotency_key="k-restock") == restocked
    assert stock_restock(order_number="1001", idempotency_key="k-restock-2") == []
    assert (level("SKU-A", "main").on_hand, level("SKU-A", "north").on_hand) == (5, 5)
    assert_ledger_matches_levels()


def test_restock_without_shipment_is_a_noop() -> None:
    stock("SKU-A", "main", 5)
    reserve("1001", ("SKU-A", 1))
    assert stock_restock(order_number="1001", idempotency_key="k") == []
    assert level("SKU-A", "main").on_hand == 5


# PostgreSQL's max_connections (100 by default) is shared with the test runner and other sessions, so at
# most this many threads hold a connection at once; the rest queue behind them, still racing.
MAX_CONNECTIONS = 50


def _in_threads(count: int, target) -> list:  # type: ignore[no-untyped-def]
    results: list = [None] * count
    barrier = threading.Barrier(count)
    connections = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def run(i: int) -> None:
        try:
            barrier.wait()
            with connections:
                try:
                    results[i] = target(i)
                except Exception as exc:  # the outcome under test
                    results[i] = exc
                finally:
                    connection.close()
        except threading.BrokenBarrierError as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_100_concurrent_reservations_for_10_units_exactly_10_succeed() -> None:
    stock("HOT", "main", 6, priority=10)
    stock("HOT", "north", 4, priority=20)

    results = _in_threads(100, lambda i: reserve(f"race-{i}", ("HOT", 1)))

    won = [r for r in results if isinstance(r, list)]
    lost = [r for r in results if not isinstance(r, list)]
    assert len(won) == 10
    assert len(lost) == 90 and all(isinstance(r, InsufficientStock) for r in lost), {type(r) for r in lost}
    assert (level("HOT", "main").allocated, level("HOT", "north").allocated) == (6, 4)
    assert StockMovement.objects.filter(kind="reserve").count() == 10
    assert_ledger_matches_levels()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_of_one_reservation_reserve_once() -> None:
    stock("HOT", "main", 10)
    stock("COLD", "main", 10)

    results = _in_threads(20, lambda i: reserve("1001", ("HOT", 3), ("COLD", 2), key="same-key"))

    assert all(r == results[0] for r in results), results
    assert (level("HOT", "main").allocated, level("COLD", "main").allocated) == (3, 2)
    assert_ledger_matches_levels()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_over_several_skus_do_not_deadlock_or_oversell() -> None:
    for sku in ("A", "B", "C"):
        stock(sku, "main", 15, priority=10)
        stock(sku, "north", 15, priority=20)
    orders = [("A", "B", "C"), ("C", "B", "A"), ("B", "A", "C")]

    def place(i: int) -> list[Allocation]:
        reserve(f"o-{i}", *[(sku, 2) for sku in orders[i % 3]])
        if i % 4 == 0:
            stock_release(order_number=f"o-{i}", idempotency_key=f"o-{i}:release")
        return []

    results = _in_threads(40, place)

    assert all(isinstance(r, list | InsufficientStock) for r in results), results
    assert_ledger_matches_levels()


def test_a_shipment_fulfils_and_restocks_only_its_own_units() -> None:
    stock("SKU-A", "main", 5, priority=10)
    stock("SKU-B", "main", 5, priority=10)
    reserve("1001", ("SKU-A", 3), ("SKU-B", 2))

    first = stock_fulfil(order_number="1001", idempotency_key="s1", lines=[StockLine("SKU-A", 2)])
    assert first == [Allocation("SKU-A", "main", 2)]
    assert [(a.sku, a.quantity) for a in stock_held_by_order("1001")] == [("SKU-A", 1), ("SKU-B", 2)]
    with pytest.raises(InvalidInput):  # more than the order holds: a bug in the caller, nothing moves
        stock_fulfil(order_number="1001", idempotency_key="s-bad", lines=[StockLine("SKU-A", 2)])
    stock_fulfil(order_number="1001", idempotency_key="s2", lines=[StockLine("SKU-A", 1), StockLine("SKU-B", 2)])
    # The first shipment was not delivered: only its two units come back.
    assert stock_restock(order_number="1001", idempotency_key="r1", lines=[StockLine("SKU-A", 2)]) == first
    assert (level("SKU-A", "main").on_hand, level("SKU-B", "main").on_hand) == (4, 3)
    assert_ledger_matches_levels()


def test_an_edit_releases_its_freed_units_and_undoes_exactly_its_own_reservation() -> None:
    stock("SKU-A", "main", 5, priority=10)
    stock("SKU-B", "main", 5, priority=10)
    reserve("1001", ("SKU-A", 3))
    # Undoing a reservation that never ran gives back nothing (never the order's earlier units).
    assert stock_release(order_number="1001", idempotency_key="u0", reserved_by="edit-1:reserve") == []
    reserve("1001", ("SKU-A", 1), ("SKU-B", 2), key="edit-1:reserve")
    assert level("SKU-A", "main").allocated == 4
    undone = stock_release(order_number="1001", idempotency_key="u1", reserved_by="edit-1:reserve")
    assert sorted((a.sku, a.quantity) for a in undone) == [("SKU-A", 1), ("SKU-B", 2)]
    assert [(a.sku, a.quantity) for a in stock_held_by_order("1001")] == [("SKU-A", 3)]
    freed = stock_release(order_number="1001", idempotency_key="f1", lines=[StockLine("SKU-A", 2)])
    assert freed == [Allocation("SKU-A", "main", 2)]
    assert [(a.sku, a.quantity) for a in stock_held_by_order("1001")] == [("SKU-A", 1)]
    assert_ledger_matches_levels()
