"""Every order transition publishes its webhook event; a dead receiver never slows an order down."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from tests.integration.orders.helpers import api_client, order_body, post_order, seed_sku, wait_for
from tests.integration.orders.test_fulfilment import event, ship
from tests.integration.webhooks.receiver import Receiver, free_port, receiver
from tests.temporal_env import settings_override
from webhooks.models import WebhookDelivery

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

ALL_EVENTS = ["order.created", "order.confirmed", "order.failed", "order.cancelled", "order.shipped", "order.delivered"]


@pytest.fixture
def webhook_settings() -> Iterator[None]:
    with settings_override(WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
        yield


def received(hook: Receiver, number: str, expected: set[str], timeout: float = 30) -> dict[str, dict]:
    """Event type -> body of the events the receiver got for ``number``, once all ``expected`` arrived."""
    deadline = time.monotonic() + timeout
    while True:
        with hook.lock:
            bodies = [json.loads(r.body) for r in hook.requests]
        got = {b["type"]: b for b in bodies if b["data"]["number"] == number}
        if expected <= got.keys() or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def test_each_transition_is_published_and_a_dead_receiver_does_not_slow_orders(live_oms, webhook_settings) -> None:
    seed_sku("HOOK-1", on_hand=10)
    shop, carrier = api_client("shop"), api_client("logistics", scopes=("fulfilment",))
    dead_url = f"http://127.0.0.1:{free_port()}/nobody-listens"  # connection refused, retried for hours
    with receiver() as hook:
        for url in (hook.url, dead_url):
            response = shop.post(
                "/api/v1/webhooks/", {"url": url, "events": ALL_EVENTS}, content_type="application/json"
            )
            assert response.status_code == 201, response.content

        started = time.monotonic()
        number = post_order(shop, order_body("HOOK-1"), key="hook-1").json()["number"]
        assert wait_for(number, timeout=10).status == "confirmed"
        assert ship(carrier, number).json()["status"] == "shipped"
        assert event(carrier, number, "h1", "delivered").json()["status"] == "delivered"
        assert time.monotonic() - started < 10  # the dead endpoint's retries never held the order back

        cancelled = post_order(shop, order_body("HOOK-1"), key="hook-2").json()["number"]
        wait_for(cancelled)
        shop.post(f"/api/v1/orders/{cancelled}/cancel/", {"reason": "test"}, content_type="application/json")
        failed = post_order(shop, order_body("HOOK-1", token="pm_card_declined"), key="hook-3").json()["number"]
        assert wait_for(failed).status == "failed"

        lifecycle = {"order.created", "order.confirmed", "order.shipped", "order.delivered"}
        got = received(hook, number, lifecycle)
        assert got.keys() == lifecycle
        assert got["order.shipped"]["data"]["tracking"]["carrier"] == "DHL"
        assert got["order.delivered"]["data"]["status"] == "delivered"
        assert received(hook, cancelled, {"order.cancelled"}).keys() == {
            "order.created",
            "order.confirmed",
            "order.cancelled",
        }
        assert received(hook, failed, {"order.failed"}).keys() == {"order.created", "order.failed"}
        assert received(hook, cancelled, set(), timeout=0)["order.cancelled"]["data"]["status"] == "cancelled"

    # Each event exists once per endpoint; the dead endpoint's deliveries are still pending (being retried).
    dead = WebhookDelivery.objects.filter(endpoint__url=dead_url)
    assert dead.count() == 4 + 3 + 2
    assert set(dead.values_list("status", flat=True)) == {"pending"}
