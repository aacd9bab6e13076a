"""Delivery-event ordering and the before-shipment rule (orders.domain, pure)."""

from __future__ import annotations

import pytest

from orders.domain import delivery_advances, delivery_event_allowed, is_delivery_changeable


@pytest.mark.parametrize(
    ("current", "event", "advances"),
    [
        ("none", "accepted", True),
        ("accepted", "in_transit", True),  # skipping a step is fine
        ("in_transit", "assigned", False),  # late: never backwards
        ("in_transit", "in_transit", False),
        ("in_transit", "not_delivered", True),
        ("delivered", "not_delivered", False),  # final: the first final event wins
        ("not_delivered", "delivered", False),
    ],
)
def test_delivery_status_only_moves_up(current: str, event: str, advances: bool) -> None:
    assert delivery_advances(current, event) is advances


@pytest.mark.parametrize(
    ("order_status", "event", "allowed"),
    [
        ("confirmed", "accepted", True),
        ("confirmed", "assigned", True),
        ("confirmed", "in_transit", False),
        ("confirmed", "delivered", False),
        ("shipped", "not_delivered", True),
        ("shipped", "accepted", True),
        ("created", "accepted", False),
        ("cancelled", "accepted", False),
    ],
)
def test_events_before_shipment(order_status: str, event: str, allowed: bool) -> None:
    assert delivery_event_allowed(order_status, event) is allowed


def test_delivery_changes_until_shipment() -> None:
    assert [s for s in ("created", "confirmed", "shipped", "delivered") if is_delivery_changeable(s)] == [
        "created",
        "confirmed",
    ]
