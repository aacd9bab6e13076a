"""Owners of real objects for the hostile-input tests: partners with keys, their carts, orders and webhooks.

Everything is made through the project's own services and API (real workers, real database), so an object
route is exercised with an id that exists, just not for the caller.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from partners.models import Partner
from partners.services import api_key_create
from tests.integration.orders.helpers import order_body, post_order, seed_sku, wait_for
from tests.temporal_env import settings_override

ALL_SCOPES = ("orders", "fulfilment")
SKU = "SEC-1"
SKU_PRICE = "12.50"


# Schemathesis cases sent, by (operation, generation mode, status class): the counts docs/reliability.md quotes.
FUZZ_CASES: Counter[tuple[str, str, str]] = Counter()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FUZZ_CASES:
        return
    operations = {operation for operation, _, _ in FUZZ_CASES}
    by_mode: Counter[str] = Counter()
    by_status: Counter[tuple[str, str]] = Counter()
    for (_, mode, status), count in FUZZ_CASES.items():
        by_mode[mode] += count
        by_status[(mode, status)] += count
    terminalreporter.section("schemathesis")
    terminalreporter.write_line(f"{len(operations)} operations, {sum(FUZZ_CASES.values())} cases sent: {dict(by_mode)}")
    terminalreporter.write_line(f"by mode and status: {dict(sorted(by_status.items()))}")


@pytest.fixture(autouse=True)
def _fresh_throttle_counters() -> None:
    """Throttle counters live in the cache, which outlives the test database: start every test at zero."""
    cache.clear()


@dataclass
class PartnerOwner:
    """A partner with one key per scope set, and the objects it owns (filled on demand)."""

    name: str
    keys: dict[tuple[str, ...], str] = field(default_factory=dict)
    order_number: str = ""
    cart_id: str = ""
    webhook_id: int = 0
    return_id: str = ""
    returned_order: str = ""  # the delivered order its return belongs to

    @property
    def partner(self) -> Partner:
        return Partner.objects.get(name=self.name)

    def key(self, scopes: tuple[str, ...] = ALL_SCOPES) -> str:
        if scopes not in self.keys:
            self.keys[scopes] = api_key_create(partner_name=self.name, scopes=list(scopes)).raw_key
        return self.keys[scopes]

    def client(self, scopes: tuple[str, ...] = ALL_SCOPES) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Api-Key {self.key(scopes)}")

    def place_order(self, *, confirmed: bool = True) -> str:
        """A real order through the API, placed with the orders scope; by default waited on until confirmed."""
        response = post_order(self.client(("orders",)), order_body(SKU), key=f"{self.name}-{uuid.uuid4().hex}")
        assert response.status_code == 201, response.content
        self.order_number = response.json()["number"]
        if confirmed:
            wait_for(self.order_number, {"confirmed"})
        return self.order_number

    def open_cart(self) -> str:
        client = self.client(("orders",))
        response = client.post("/api/v1/carts/")
        assert response.status_code == 201, response.content
        self.cart_id = response.json()["id"]
        added = client.post(
            f"/api/v1/carts/{self.cart_id}/items/", {"sku": SKU, "quantity": 1}, content_type="application/json"
        )
        assert added.status_code == 200, added.content
        return self.cart_id

    def register_webhook(self) -> int:
        # A loopback target (the discard port: nothing listens): tests send traffic to this machine only.
        with settings_override(WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
            response = self.client(("orders",)).post(
                "/api/v1/webhooks/",
                {"url": "http://127.0.0.1:9/oms", "events": ["order.created"]},
                content_type="application/json",
            )
        assert response.status_code == 201, response.content
        self.webhook_id = response.json()["id"]
        return self.webhook_id

    def request_return(self) -> str:
        """A return of a second order of this partner's, delivered through the API (the first stays confirmed)."""
        first = self.order_number
        number = self.place_order()
        self.order_number, self.returned_order = first, number
        carrier = self.client(("fulfilment",))
        shipped = carrier.post(
            f"/api/v1/orders/{number}/ship/",
            {"carrier": "DHL", "tracking_number": "T1"},
            content_type="application/json",
        )
        assert shipped.status_code == 200, shipped.content
        delivered = carrier.post(
            f"/api/v1/orders/{number}/delivery-events/",
            {"event_id": "d1", "status": "delivered", "occurred_at": timezone.now().isoformat()},
            content_type="application/json",
        )
        assert delivered.status_code == 200, delivered.content
        response = self.client(("orders",)).post(
            f"/api/v1/orders/{number}/returns/",
            {"lines": [{"sku": SKU, "quantity": 1}], "reason": "damaged"},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"{self.name}-return",
        )
        assert response.status_code == 201, response.content
        self.return_id = response.json()["id"]
        return self.return_id

    def own_everything(self) -> PartnerOwner:
        self.place_order()
        self.request_return()
        self.open_cart()
        self.register_webhook()
        return self


@pytest.fixture
def catalog(live_oms: Any) -> str:
    """One sellable SKU with plenty of stock, received through the ledger."""
    seed_sku(SKU, on_hand=10_000, price=SKU_PRICE)
    return SKU


@pytest.fixture
def acme(catalog: str) -> PartnerOwner:
    return PartnerOwner("Acme")


@pytest.fixture
def globex(catalog: str) -> PartnerOwner:
    return PartnerOwner("Globex")
