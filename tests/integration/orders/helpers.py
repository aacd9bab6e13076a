"""Shared setup for order integration tests: real catalog rows, real API keys, polling the read model."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterable, Set
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Sum
from django.test import Client

from catalog.models import Product, StockLevel, StockMovement, Variant, Warehouse
from orders import services
from orders.models import Order
from partners.models import Partner
from partners.services import api_key_create
from payments.models import Payment
from payments.selectors import sandbox_ledger_summary
from tests.stock_helpers import assert_ledger_matches_levels
from webhooks import domain as webhook_domain
from webhooks.models import WebhookEndpoint

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


def subscribe_to_every_event(partner: str = "shop") -> None:
    """Webhook events are stored only for a subscriber (issue #19): tests that read the outbox subscribe the
    partner first. The endpoint is a closed loopback port: deliveries are recorded and retried, never received."""
    WebhookEndpoint.objects.create(
        partner=Partner.objects.get(name=partner),
        url="http://127.0.0.1:9/hooks",
        events=list(webhook_domain.EVENT_TYPES),
        secret="whsec_test",
    )


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


def fresh_keys(prefix: str, count: int) -> list[str]:
    """Idempotency keys no other test of the session uses: the order number (and so the workflow id on the
    session's dev server, which outlives each test's database rows) derives from the key."""
    run = uuid.uuid4().hex[:8]
    return [f"{prefix}-{run}-{index}" for index in range(count)]


def order_arguments(body: dict[str, Any]) -> dict[str, Any]:
    """An API order body as the keyword arguments of ``orders.services.order_place`` / ``order_prepare``."""
    return {
        "lines": body["lines"],
        "contact": body["customer"],
        "shipping_address": body["shipping_address"],
        "delivery": body.get("delivery"),
        "payment": body["payment"],
    }


def place_orders(partner: Partner, body: dict[str, Any], keys: Iterable[str], *, threads: int = 8) -> list[str]:
    """Place one order per idempotency key through the service the API uses, from ``threads`` threads at once
    (each returns once its workflow recorded the order); the order numbers, in the order of ``keys``."""

    def place(key: str) -> str:
        try:
            actor = f"partner:{partner.name}"
            order = services.order_place(
                partner=partner, channel="api", **order_arguments(body), idempotency_key=key, actor=actor
            )
            return order.number
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(place, keys))


def wait_for(number: str, statuses: set[str] = FINAL, timeout: float = 60) -> Order:
    deadline = time.monotonic() + timeout
    while True:
        order = Order.objects.get(number=number)
        if order.status in statuses:
            return order
        if time.monotonic() > deadline:
            raise AssertionError(f"{number} still {order.status} after {timeout}s")
        time.sleep(0.1)


def wait_for_all(numbers: Iterable[str], statuses: Set[str] = FINAL, timeout: float = 180) -> Counter:
    """Poll until every order is in ``statuses`` (a missing order counts as not yet); their statuses, counted."""
    numbers = set(numbers)
    deadline = time.monotonic() + timeout
    while True:
        found = dict(Order.objects.filter(number__in=numbers).values_list("number", "status"))
        if len(found) == len(numbers) and set(found.values()) <= set(statuses):
            return Counter(found.values())
        if time.monotonic() > deadline:
            pending = Counter(found.get(number, "missing") for number in numbers)
            raise AssertionError(f"orders not in {sorted(statuses)} after {timeout}s: {dict(pending)}")
        time.sleep(0.25)


def stock(sku: str) -> tuple[int, int]:
    level = StockLevel.objects.get(variant__sku=sku)
    return level.on_hand, level.allocated


def ledger_matches_levels(sku: str) -> bool:
    sums = StockMovement.objects.filter(variant__sku=sku).aggregate(o=Sum("on_hand_delta"), a=Sum("allocated_delta"))
    on_hand, allocated = stock(sku)
    return (sums["o"] or 0, sums["a"] or 0) == (on_hand, allocated)


# What each final status means for the money and the stock an order may still hold.
_HOLDS_STOCK = {"confirmed"}  # shipped stock left the building (fulfil), failed/cancelled released it
_CAPTURED = {"shipped", "delivered"}
_AUTHORIZED = {"confirmed", *_CAPTURED}
_ORDER_STOCK_KINDS = (
    StockMovement.Kind.RESERVE,
    StockMovement.Kind.RELEASE,
    StockMovement.Kind.FULFIL,
    StockMovement.Kind.RESTOCK,
)


def assert_orders_consistent(numbers: Iterable[str], ends: Set[str] = frozenset({"confirmed", "failed"})) -> Counter:
    """The invariants every fault and race test ends with; returns the orders' final statuses, counted.

    For ``numbers`` (the orders the test placed): each exists and ends in one of ``ends``; a card order holds
    exactly one authorization once confirmed, none left open once failed or cancelled, a capture only once
    shipped; it holds allocated exactly its lines while confirmed and nothing otherwise.
    For the whole database: no payment authorized or captured twice, no PSP charge, payment row or stock
    reservation whose order does not exist, and every stock level equal to the sum of its ledger rows.
    """
    numbers = list(numbers)
    orders = {order.number: order for order in Order.objects.filter(number__in=numbers).prefetch_related("lines")}
    assert set(numbers) <= set(orders), f"orders never recorded: {sorted(set(numbers) - set(orders))}"
    statuses = Counter(orders[number].status for number in numbers)
    assert set(statuses) <= set(ends), f"orders not in {sorted(ends)}: {dict(statuses)}"

    all_numbers = set(Order.objects.values_list("number", flat=True))
    ledger = sandbox_ledger_summary()
    assert ledger.charged_twice == [], f"authorized or captured twice: {ledger.charged_twice}"
    assert ledger.charges_without_order(all_numbers) == [], "the PSP charged an order that does not exist"
    orphan_payments = set(Payment.objects.values_list("order_number", flat=True)) - all_numbers
    assert not orphan_payments, f"payments without an order: {sorted(orphan_payments)}"
    orphan_stock = (
        set(StockMovement.objects.filter(kind__in=_ORDER_STOCK_KINDS).values_list("reference", flat=True)) - all_numbers
    )
    assert not orphan_stock, f"stock movements of orders that do not exist: {sorted(orphan_stock)}"
    assert_ledger_matches_levels()

    held = dict(
        StockMovement.objects.filter(reference__in=numbers, kind__in=_ORDER_STOCK_KINDS)
        .order_by()
        .values_list("reference")
        .annotate(allocated=Sum("allocated_delta"))
    )
    for number, order in orders.items():
        card = order.payment_method == "card"
        if card and order.status in _AUTHORIZED:
            assert ledger.authorizations[number] == 1, f"{number} is {order.status} without one authorization"
        assert ledger.captures[number] == (1 if card and order.status in _CAPTURED else 0), number
        assert number not in ledger.open_authorizations or order.status == "confirmed", f"{number} holds money"
        wanted = sum(line.quantity for line in order.lines.all()) if order.status in _HOLDS_STOCK else 0
        assert held.get(number, 0) == wanted, f"{number} ({order.status}) holds {held.get(number, 0)}, not {wanted}"
    return statuses
