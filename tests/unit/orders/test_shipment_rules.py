"""Pure shipment and edit rules (orders.domain): what each shipment captures, when an order may ship or change,
its delivery status and end from its shipments."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from orders.domain import (
    OrderLineShare,
    PricedLine,
    PricingRules,
    compute_totals,
    edit_refusal,
    order_delivery_status,
    order_end,
    remaining_to_ship,
    shipment_amount,
    shipment_refusal,
)

D = Decimal


def ship_all(lines: list[OrderLineShare], splits: list[dict[str, int]], shipping: Decimal) -> list[Decimal]:
    shipped: dict[str, int] = {}
    captured: dict[str, Decimal] = {}
    amounts = []
    for index, units in enumerate(splits):
        amount, per_sku = shipment_amount(
            lines, shipped=shipped, captured=captured, ship=units, shipping=shipping, first=index == 0, currency="EUR"
        )
        amounts.append(amount)
        for sku, quantity in units.items():
            shipped[sku] = shipped.get(sku, 0) + quantity
            captured[sku] = captured.get(sku, D(0)) + per_sku[sku]
    return amounts


def test_a_third_of_a_line_rounds_and_the_completing_shipment_takes_the_remainder() -> None:
    lines = [OrderLineShare("A", 3, D("10.00"))]
    assert ship_all(lines, [{"A": 1}, {"A": 1}, {"A": 1}], D("4.90")) == [D("8.23"), D("3.33"), D("3.34")]


def test_captures_add_up_to_the_order_total_to_the_cent_for_any_split() -> None:
    rng = random.Random(14)
    rules = PricingRules(tax_rate=D("0.19"), shipping_fee=D("4.90"))
    for _ in range(300):
        priced = [
            PricedLine(f"S{i}", "x", D(rng.randint(1, 9999)) / 100, rng.randint(1, 7)) for i in range(rng.randint(1, 4))
        ]
        totals = compute_totals(priced, "EUR", rules)
        lines = [OrderLineShare(p.sku, p.quantity, share.total) for p, share in zip(priced, totals.lines, strict=True)]
        left = {line.sku: line.quantity for line in lines}
        splits = []
        while any(left.values()):
            units = {sku: rng.randint(1, q) for sku, q in left.items() if q and rng.random() < 0.7}
            if not units:
                continue
            for sku, q in units.items():
                left[sku] -= q
            splits.append(units)
        amounts = ship_all(lines, splits, totals.shipping)
        assert sum(amounts) == totals.total, (priced, splits, amounts)
        assert all(amount >= 0 for amount in amounts)


def test_shipment_refusals_name_the_problem() -> None:
    remaining = {"A": 2, "B": 0}
    assert shipment_refusal("confirmed", "", remaining, None) is None
    assert shipment_refusal("confirmed", "", remaining, {"A": 2}) is None
    assert "no line C" in (shipment_refusal("confirmed", "", remaining, {"C": 1}) or "")
    assert "only 2 of A" in (shipment_refusal("confirmed", "", remaining, {"A": 3}) or "")
    assert "only 0 of B" in (shipment_refusal("partially_shipped", "", remaining, {"B": 1}) or "")
    assert "nothing left" in (shipment_refusal("partially_shipped", "", {"A": 0}, None) or "")
    assert shipment_refusal("shipped", "", remaining, None) is not None
    assert shipment_refusal("confirmed", "edit", remaining, None) is not None
    assert shipment_refusal("confirmed", "shipment", remaining, None) is None  # a repeat of everything-left
    assert shipment_refusal("confirmed", "shipment", remaining, {"A": 1}) is not None


@pytest.mark.parametrize(
    ("status", "pending", "allowed"),
    [
        ("confirmed", "", True),
        ("partially_shipped", "", True),
        ("confirmed", "shipment", False),
        ("created", "", False),
        ("shipped", "", False),
        ("cancelled", "", False),
    ],
)
def test_edit_refusal(status: str, pending: str, allowed: bool) -> None:
    assert (edit_refusal(status, pending) is None) is allowed


def test_order_delivery_status_and_end_follow_the_shipments() -> None:
    assert order_delivery_status(["delivered", "in_transit"]) == "in_transit"
    assert order_delivery_status(["delivered", "not_delivered"]) == "delivered"
    assert order_delivery_status(["not_delivered", "not_delivered"]) == "not_delivered"
    assert order_end(False, ["delivered"]) is None  # units still to ship
    assert order_end(True, ["delivered", "in_transit"]) is None
    assert order_end(True, ["not_delivered", "delivered"]) == "delivered"
    assert order_end(True, ["not_delivered"]) == "cancelled"
    assert remaining_to_ship([OrderLineShare("A", 3, D(1))], {"A": 1}) == {"A": 2}
