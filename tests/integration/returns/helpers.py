"""Shared setup for return tests: a delivered order through the real API, polling a return's read model."""

from __future__ import annotations

import time
import uuid
from typing import Any

from django.test import Client

from returns.models import Return
from tests.integration.orders.helpers import order_body, post_order, wait_for
from tests.integration.orders.test_fulfilment import event, ship


def delivered_order(shop: Client, carrier: Client, sku: str, quantity: int, key: str) -> str:
    response = post_order(shop, order_body(sku, quantity=quantity), key=f"{key}-{uuid.uuid4().hex[:8]}")
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assert wait_for(number).status == "confirmed"
    assert ship(carrier, number).status_code == 200
    delivered = event(carrier, number, f"{key}-delivered", "delivered")
    assert delivered.status_code == 200 and delivered.json()["status"] == "delivered", delivered.content
    return number


def request_return(client: Client, number: str, lines: list[dict[str, Any]], key: str, reason: str = "damaged") -> Any:
    return client.post(
        f"/api/v1/orders/{number}/returns/",
        {"lines": lines, "reason": reason, "note": "box dented"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def step(client: Client, return_id: str, action: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(f"/api/v1/returns/{return_id}/{action}/", body or {}, content_type="application/json")


def wait_return(return_id: str, status: str, timeout: float = 60) -> Return:
    deadline = time.monotonic() + timeout
    while True:
        ret = Return.objects.get(pk=return_id)
        if ret.status == status and not ret.pending_action:
            return ret
        if time.monotonic() > deadline:
            raise AssertionError(f"{return_id} still {ret.status} ({ret.pending_action}) after {timeout}s")
        time.sleep(0.1)
