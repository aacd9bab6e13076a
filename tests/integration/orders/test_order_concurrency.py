"""Races on real PostgreSQL: overselling one SKU, one Idempotency-Key hammered by parallel requests, and a
delivery change written while the saga's own write is in flight."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, transaction

from oms_project import temporal
from orders import services
from orders.contracts import OrderProgress, order_workflow_id
from orders.models import Order, OrderEvent
from orders.workflows import OrderWorkflow
from partners.models import Partner
from payments.selectors import sandbox_ledger_summary
from tests.faults.processes import poll_until
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


def lock_waiters() -> int:
    """Sessions of this test database waiting for a lock (the test's own database: other runs do not count)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # a transaction sees one snapshot unless cleared
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_a_delivery_change_during_the_saga_waits_for_the_one_writer(live_oms) -> None:
    """The order process has one writer (docs/orders.md): a ``change_delivery`` accepted while the saga runs is
    recorded and applied after the confirm, never written beside it. The test holds the order row so the confirm
    write is stuck: the change stays a pending command (only one write waits for the lock), and once released
    every event reaches the timeline exactly once, the change after the confirm. On the earlier design both writes
    raced for the row."""
    seed_sku("RACE-1", on_hand=5)
    client = api_client()
    # pm_card_slow keeps the saga in its payment step for a few seconds: time to take the row lock first.
    number = post_order(client, order_body("RACE-1", token="pm_card_slow"), key="race-1").json()["number"]
    url = f"/api/v1/orders/{number}/delivery/"
    address = {"name": "Ada L.", "line1": "2 New St", "city": "Hamburg", "postal_code": "20095", "country": "DE"}
    answers: list[Any] = []
    change = threading.Thread(
        target=in_thread(lambda: answers.append(client.patch(url, {"shipping_address": address}, "application/json")))
    )

    def progress() -> OrderProgress:
        return temporal.query(order_workflow_id(number), OrderWorkflow.progress, result_type=OrderProgress)

    with transaction.atomic():
        # FOR NO KEY UPDATE: every order write (FOR UPDATE) waits, the payment row's foreign key check does not
        order = Order.objects.select_for_update(no_key=True).get(number=number)
        assert order.status == "created", "the saga confirmed before the test held the order row"
        poll_until(lambda: progress().step == "confirm", timeout=60, what="the saga writing its confirm")
        change.start()
        poll_until(lambda: progress().pending_commands == ["change_delivery"], timeout=60, what="the change accepted")
        poll_until(lambda: lock_waiters() >= 1, timeout=60, what="the confirm write waiting")
        # still only recorded: the run loop applies it after the confirm (the timeline order below proves it)
        assert progress().pending_commands == ["change_delivery"]
    change.join(60)
    # 202 when the row was held longer than the answer time: the change then finishes by itself
    assert answers and answers[0].status_code in (200, 202), answers and answers[0].content
    poll_until(lambda: Order.objects.get(number=number).ship_city == "Hamburg", timeout=60, what="the change")
    order = wait_for(number)
    assert order.status == "confirmed"
    types = list(OrderEvent.objects.filter(order=order).order_by("id").values_list("type", flat=True))
    expected = ["created", "stock_reserved", "payment_authorized", "delivery_requested", "confirmed"]
    assert types == [*expected, "delivery_changed"], types
