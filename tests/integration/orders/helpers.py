"""Shared setup for order integration tests: real catalog rows, real API keys, polling the read model."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from django.test import Client

from catalog.models import Product, StockLevel, StockMovement, Variant, Warehouse
from orders.models import Order
from partners.services import api_key_create

FINAL = {"confirmed", "failed", "cancelled"}


def seed_sku(sku: str, on_hand: int, price: str = "12.50", currency: str = "EUR") -> Variant:
    """A sellable variant with stock received through a ledger row (so ledger sums equal stock levels)."""
    product = Product.objects.create(name=f"Product {sku}", slug=sku.lower())
    variant = Variant.objects.create(product=product, sku=sku, name="Standard", price=Decimal(price), currency=currency)
    warehouse, _ = Warehouse.objects.get_or_create(code="main", defaults={"name": "Main", "priority": 1})
    StockLevel.objects.create(variant=variant, warehouse=warehouse, on_hand=on_hand)
    StockMovement.objects.create(
        variant=variant,
        warehouse=warehouse,
        kind=StockMovement.Kind.RECEIVE,
        on_hand_delta=on_hand,
        reason="test seed",
        idempotency_key=f"seed:{sku}",
    )
    return variant


def api_client(partner: str = "shop", scopes: tuple[str, ...] = ("orders",)) -> Client:
    key = api_key_create(partner_name=partner, scopes=list(scopes)).raw_key
    return Client(HTTP_AUTHORIZATION=f"Api-Key {key}")


def order_body(sku: str, quantity: int = 1, token: str = "pm_card_ok", **extra: Any) -> dict[str, Any]:
    return {
        "lines": [{"sku": sku, "quantity": quantity}],
        "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
        "shipping_address": {
            "name": "Ada Lovelace",
            "line1": "1 Main St",
            "city": "Berlin",
            "postal_code": "10115",
            "country": "DE",
        },
        "payment": {"method": "card", "token": token},
        **extra,
    }


def post_order(client: Client, body: dict[str, Any], key: str) -> Any:
    return client.post("/api/v1/orders/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


def wait_for(number: str, statuses: set[str] = FINAL, timeout: float = 60) -> Order:
    deadline = time.monotonic() + timeout
    while True:
        order = Order.objects.get(number=number)
        if order.status in statuses:
            return order
        if time.monotonic() > deadline:
            raise AssertionError(f"{number} still {order.status} after {timeout}s")
        time.sleep(0.1)


def stock(sku: str) -> tuple[int, int]:
    level = StockLevel.objects.get(variant__sku=sku)
    return level.on_hand, level.allocated


def ledger_matches_levels(sku: str) -> bool:
    from django.db.models import Sum

    sums = StockMovement.objects.filter(variant__sku=sku).aggregate(o=Sum("on_hand_delta"), a=Sum("allocated_delta"))
    on_hand, allocated = stock(sku)
    return (sums["o"] or 0, sums["a"] or 0) == (on_hand, allocated)
