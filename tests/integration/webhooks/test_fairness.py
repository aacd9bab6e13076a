"""Issue #20 item 2: one partner's slow webhook receiver must not slow another partner's webhooks or orders.

A real HTTP receiver that answers only after a long hold (or when the test releases it) takes every event of
partner A's many endpoints. Partner B then places an order. The proof is structural, never a wall-clock bound:
B's order confirms, and B's receiver gets its order.created and order.confirmed events, while every one of A's
requests is still unanswered. Before the webhook queue and the per-partner slots, A's deliveries held every
activity slot of the one order queue, so B's payment step and B's webhooks waited for A's receiver.

The workers here are the project's real ones, on this test's own queues with only a few activity slots (as a
busy production worker has only a few free), so that A's endpoints outnumber the slots.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.test import Client

from oms_project import temporal
from orders.models import Order
from partners.services import api_key_create
from tests.integration.orders.helpers import order_body, post_order, seed_sku
from tests.integration.webhooks.receiver import Receiver, receiver
from tests.temporal_env import LoopThread, RunningWorkers, settings_override
from webhooks.contracts import order_event_dedupe_key
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_event_publish

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.slow]

SLOTS = 4  # activity slots of each test worker (order queue and webhook queue alike)
PER_PARTNER = 2  # WEBHOOK_PARTNER_CONCURRENCY: fewer than SLOTS, so other partners always find a slot
A_ENDPOINTS = 8  # more than SLOTS: without per-partner slots, A alone fills the webhook queue's slots
HOLD_SECONDS = 90  # the slow receiver answers after this long unless released; the send timeout is longer
EVENTS = ["order.created", "order.confirmed"]


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = HOLD_SECONDS - 20) -> None:
    """A ceiling against hanging only (well inside the hold): the assertions are about order, not speed."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def event_types(hook: Receiver, number: str) -> set[str]:
    with hook.lock:
        bodies = [json.loads(request.body) for request in hook.requests]
    return {body["type"] for body in bodies if body["data"]["number"] == number}


def publish(partner_id: int, number: str, event_type: str) -> list[int]:
    return webhook_event_publish(
        partner_id=partner_id,
        event_type=event_type,
        data={"number": number},
        dedupe_key=order_event_dedupe_key(number, event_type),
    )


@pytest.fixture
def own_workers(temporal_server: str, temporal_loop: LoopThread) -> Iterator[None]:
    """The project's workers with SLOTS activity slots on fresh queues, which the services below start on."""
    suffix = uuid.uuid4().hex[:8]
    queues = {queue: f"fair-{queue}-{suffix}" for queue in ("cart", "order", "webhook")}
    overrides = {
        "CART_TASK_QUEUE": queues["cart"],
        "ORDER_TASK_QUEUE": queues["order"],
        "WEBHOOK_TASK_QUEUE": queues["webhook"],
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": True,
        "WEBHOOK_TIMEOUT": timedelta(seconds=HOLD_SECONDS + 30),
        "WEBHOOK_PARTNER_CONCURRENCY": PER_PARTNER,
        "WEBHOOK_PARTNER_BUSY_RETRY": timedelta(seconds=1),
    }
    client = temporal_loop.run(temporal.connect(temporal_server))
    with settings_override(**overrides):
        workers = RunningWorkers(temporal_loop, client, task_queues=queues, max_concurrent_activities=SLOTS)
        try:
            yield
        finally:
            workers.stop()


def test_a_slow_partner_delays_neither_another_partners_webhooks_nor_its_orders(live_oms, own_workers) -> None:
    seed_sku("FAIR-1", on_hand=5)
    slow_partner = api_key_create(partner_name=f"slow-{uuid.uuid4().hex[:6]}", scopes=["orders"])
    quick_partner = api_key_create(partner_name=f"quick-{uuid.uuid4().hex[:6]}", scopes=["orders"])
    slow_api = Client(HTTP_AUTHORIZATION=f"Api-Key {slow_partner.raw_key}")
    quick_api = Client(HTTP_AUTHORIZATION=f"Api-Key {quick_partner.raw_key}")

    with receiver(sleep_seconds=HOLD_SECONDS) as slow, receiver() as quick:
        try:
            for _ in range(A_ENDPOINTS):
                registered = slow_api.post(
                    "/api/v1/webhooks/", {"url": slow.url, "events": EVENTS}, content_type="application/json"
                )
                assert registered.status_code == 201, registered.content
            registered = quick_api.post(
                "/api/v1/webhooks/", {"url": quick.url, "events": EVENTS}, content_type="application/json"
            )
            assert registered.status_code == 201, registered.content

            slow_deliveries = publish(slow_partner.api_key.partner_id, f"SLOW-{uuid.uuid4().hex[:8]}", "order.created")
            assert len(slow_deliveries) == A_ENDPOINTS
            wait_until(lambda: slow.in_flight == PER_PARTNER, "A's receiver to hold its first requests")

            response = post_order(quick_api, order_body("FAIR-1"), key=f"fair-{uuid.uuid4().hex[:8]}")
            assert response.status_code == 201, response.content
            number = response.json()["number"]
            wait_until(lambda: Order.objects.get(number=number).status == "confirmed", "B's order to confirm")
            wait_until(lambda: event_types(quick, number) == set(EVENTS), "B's webhooks")

            # Everything of B happened while every request to A's receiver was still unanswered.
            assert slow.answered == 0
            assert len(slow.requests) == PER_PARTNER == slow.most_in_flight  # the others waited for a slot...
            waiting = WebhookDelivery.objects.filter(pk__in=slow_deliveries)
            assert sum(d.attempt_count for d in waiting) == 0  # ...and nothing was counted against them
        finally:
            slow.release.set()

        wait_until(
            lambda: all(d.status == "succeeded" for d in WebhookDelivery.objects.filter(pk__in=slow_deliveries)),
            "A's deliveries once its receiver answers",
        )
    assert slow.most_in_flight == PER_PARTNER and len(slow.requests) == A_ENDPOINTS
    # Each delivery made one attempt: the bounces while A's slots were taken are not attempts (no backoff, no
    # attempt rows, nothing towards giving up).
    delivered = WebhookDelivery.objects.filter(pk__in=slow_deliveries)
    assert [d.attempt_count for d in delivered] == [1] * A_ENDPOINTS


def pending_attempt(workflow_id: str) -> int:
    """Temporal's attempt number of the delivery activity still pending (bounces raise it), 0 if none."""

    async def call(client):  # type: ignore[no-untyped-def]
        described = await client.get_workflow_handle(workflow_id).describe()
        return max((a.attempt for a in described.raw_description.pending_activities), default=0)

    return temporal.run(call)


def test_bounces_while_the_partner_is_busy_do_not_push_the_backoff(live_oms, own_workers) -> None:
    """A steep policy (x10 per attempt, up to an hour) would wait hours after the bounces if they counted;
    the delivery's first real failure is retried after the first interval (1 s) instead."""
    partner = api_key_create(partner_name=f"busy-{uuid.uuid4().hex[:6]}", scopes=["orders"])
    api = Client(HTTP_AUTHORIZATION=f"Api-Key {partner.raw_key}")
    steep = {
        "WEBHOOK_RETRY_INITIAL_INTERVAL": timedelta(seconds=1),
        "WEBHOOK_RETRY_BACKOFF": 10.0,
        "WEBHOOK_RETRY_MAX_INTERVAL": timedelta(hours=1),
    }
    with settings_override(**steep), receiver(sleep_seconds=HOLD_SECONDS) as slow, receiver(fail_first=1) as flaky:
        try:
            for url, event in [(slow.url, "order.created")] * PER_PARTNER + [(flaky.url, "order.confirmed")]:
                body = {"url": url, "events": [event]}
                registered = api.post("/api/v1/webhooks/", body, content_type="application/json")
                assert registered.status_code == 201, registered.content
            number = f"BUSY-{uuid.uuid4().hex[:8]}"
            publish(partner.api_key.partner_id, number, "order.created")
            wait_until(lambda: slow.in_flight == PER_PARTNER, "the partner's slots to fill")
            [delivery_id] = publish(partner.api_key.partner_id, number, "order.confirmed")
            # The flaky receiver's delivery bounces (Temporal's attempt number grows) and sends nothing.
            wait_until(lambda: pending_attempt(f"webhook-delivery-{delivery_id}") >= 4, "a few bounces")
            assert flaky.requests == [] and WebhookDelivery.objects.get(pk=delivery_id).attempt_count == 0
        finally:
            slow.release.set()
        wait_until(lambda: WebhookDelivery.objects.get(pk=delivery_id).status == "succeeded", "the retry after 1 s")

    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert [(a.number, a.status_code) for a in delivery.attempts.order_by("number")] == [(1, 500), (2, 200)]
    assert len(flaky.requests) == 2
