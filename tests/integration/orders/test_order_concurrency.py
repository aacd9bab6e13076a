"""Races on real PostgreSQL: overselling one SKU, and one Idempotency-Key hammered by parallel requests."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection

from orders import services
from orders.models import Order
from partners.models import Partner
from payments.selectors import sandbox_ledger_summary
from tests.integration.orders.helpers import (
    api_client,
    ledger_matches_levels,
    order_arguments,
    order_body,
    post_order,
    seed_sku,
    stock,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.slow]


def in_thread(fn: Any) -> Any:
    """Run ``fn`` and close this thread's database connection (the pool of test threads is large)."""

    def wrapper(*args: Any) -> Any:
        try:
            return fn(*args)
        finally:
            connection.close()

    return wrapper


def test_100_concurrent_orders_for_10_units_confirm_exactly_10(live_oms) -> None:
    seed_sku("HOT-1", on_hand=10)
    partner = Partner.objects.create(name="rush")
    body = order_body("HOT-1")

    @in_thread
    def place(index: int) -> str:
        return services.order_place(
            partner=partner,
            channel="api",
            **order_arguments(body),
            idempotency_key=f"race-{index}",
            actor="partner:rush",
        ).number

    with ThreadPoolExecutor(max_workers=20) as pool:
        numbers = list(pool.map(place, range(100)))
    assert len(set(numbers)) == 100

    orders = [wait_for(number, timeout=120) for number in numbers]
    confirmed = {o.number for o in orders if o.status == "confirmed"}
    failed = [o for o in orders if o.status == "failed"]
    assert len(confirmed) == 10
    assert len(failed) == 90 and {o.failure_reason for o in failed} == {"insufficient_stock"}
    assert stock("HOT-1") == (10, 10)
    assert ledger_matches_levels("HOT-1")
    ledger = sandbox_ledger_summary(order_numbers=numbers)
    assert ledger.orders_charged == confirmed
    assert ledger.charged_twice == []


def test_50_concurrent_identical_posts_make_one_order_and_one_authorization(live_oms) -> None:
    seed_sku("HOT-2", on_hand=100)
    client = api_client("burst")
    body = order_body("HOT-2", quantity=2)
    start = threading.Barrier(50)

    @in_thread
    def post(_: int) -> tuple[int, dict[str, Any]]:
        start.wait()
        response = post_order(client, body, key="one-key")
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(post, range(50)))

    statuses = [status for status, _ in answers]
    assert set(statuses) <= {201, 409}, statuses
    created = [payload for status, payload in answers if status == 201]
    assert created and len({payload["number"] for payload in created}) == 1
    assert all(p["code"] == "idempotency_request_in_flight" for s, p in answers if s == 409)
    assert Order.objects.filter(partner__name="burst").count() == 1

    number = created[0]["number"]
    assert wait_for(number).status == "confirmed"
    replay = post_order(client, body, key="one-key")
    assert replay.status_code == 201 and replay.json() == created[0]
    ledger = sandbox_ledger_summary(order_numbers=[number])
    assert ledger.authorizations[number] == 1
    assert stock("HOT-2") == (100, 2)
