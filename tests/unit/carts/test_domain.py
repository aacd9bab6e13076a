"""Pure cart rules."""

from __future__ import annotations

import pytest

from carts import domain
from carts.contracts import CartState, PricedSku
from carts.errors import (
    CartCheckedOut,
    CartEmpty,
    CartExpired,
    CurrencyMismatch,
    InvalidQuantity,
    TooManyLines,
    UnknownSku,
)
from oms_project.errors import InsufficientStock


def priced(sku: str = "A", price: str = "2.50", available: int = 10, **kw) -> PricedSku:  # type: ignore[no-untyped-def]
    return PricedSku(
        sku=sku,
        name=f"n{sku}",
        unit_price=price,
        currency=kw.get("currency", "EUR"),
        available=available,
        is_active=kw.get("active", True),
    )


@pytest.mark.parametrize("quantity", [0, -1, 1000, 1.5, "3", True, None])
def test_bad_quantities(quantity) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidQuantity):
        domain.check_quantity(quantity)


def test_zero_only_where_allowed() -> None:
    assert domain.check_quantity(0, allow_zero=True) == 0
    assert domain.check_quantity(999) == 999


@pytest.mark.parametrize("sku", ["", "-x", "a b", "x" * 65, None, 5])
def test_bad_skus(sku) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownSku):
        domain.check_sku(sku)


def test_line_and_count_limits() -> None:
    state = CartState(cart_id="c", currency="EUR")
    for i in range(domain.MAX_LINES):
        domain.set_line(state, priced(f"S{i}"), 1)
    domain.check_new_quantity(state, "S1", 999)  # existing line: fine
    with pytest.raises(TooManyLines):
        domain.check_new_quantity(state, "NEW", 1)
    with pytest.raises(InvalidQuantity):
        domain.check_new_quantity(state, "S1", 1000)


def test_sellable_checks() -> None:
    assert domain.check_sellable(priced(), "A", 10, "EUR").sku == "A"
    with pytest.raises(UnknownSku):
        domain.check_sellable(None, "A", 1, "EUR")
    with pytest.raises(UnknownSku):
        domain.check_sellable(priced(active=False), "A", 1, "EUR")
    with pytest.raises(CurrencyMismatch):
        domain.check_sellable(priced(currency="USD"), "A", 1, "EUR")
    with pytest.raises(InsufficientStock) as short:
        domain.check_sellable(priced(available=3), "A", 4, "EUR")
    assert short.value.details == {"sku": "A", "requested": 4, "available": 3}


def test_view_and_contents_money() -> None:
    state = CartState(cart_id="c", currency="EUR", deadline="2030-01-01T00:00:00+00:00")
    domain.set_line(state, priced("A", "0.10"), 3)
    domain.set_line(state, priced("B", "19.99"), 2)
    view = domain.view(state)
    assert (view.item_count, view.subtotal) == (5, "40.28")
    assert [(li.unit_price, li.line_total) for li in view.lines] == [("0.10", "0.30"), ("19.99", "39.98")]
    assert domain.contents(state).subtotal == "40.28"
    domain.set_line(state, priced("A"), 0)
    domain.remove_line(state, "B")
    with pytest.raises(CartEmpty):
        domain.contents(state)


def test_merge_is_capped_by_limit_and_stock() -> None:
    assert domain.merge_quantity(4, 3, 5) == 5
    assert domain.merge_quantity(998, 5, 5000) == 999
    assert domain.merge_quantity(0, 2, 0) == 0
    assert domain.merge_quantity(5, 1, 3) == 5  # stock fell below the customer's line: the line is kept


def test_closed_statuses_have_their_error() -> None:
    domain.ensure_open("open")
    with pytest.raises(CartExpired):
        domain.ensure_open("expired")
    with pytest.raises(CartCheckedOut):
        domain.ensure_open("checked_out")
