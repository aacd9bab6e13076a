"""Orders placed before the order process v2 keep running on OrderWorkflowV1 (type "OrderWorkflow", ADR 0044):
the new deployment registers both, and the same services and routes (by update name, with bounded answers) ship,
deliver and cancel them. Their recorded histories replay in tests/workflow/replay."""

from __future__ import annotations

import pytest
from django.conf import settings

from oms_project import temporal
from orders import services
from orders.contracts import order_workflow_id
from partners.models import Partner
from tests.integration.orders.helpers import (
    api_client,
    assert_orders_consistent,
    fresh_keys,
    order_arguments,
    order_body,
    seed_sku,
    wait_for_all,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def _start_earlier_order(sku: str, key: str) -> str:
    partner, _ = Partner.objects.get_or_create(name="shop")
    inp = services.order_prepare(
        partner=partner, channel="api", **order_arguments(order_body(sku)), idempotency_key=key, actor="partner:shop"
    )
    temporal.start_workflow(
        "OrderWorkflow", inp, workflow_id=order_workflow_id(inp.number), task_queue=settings.ORDER_TASK_QUEUE
    )
    wait_for_all([inp.number], {"confirmed"})
    return inp.number


def test_an_order_of_the_earlier_process_ships_and_is_delivered_through_the_api(live_oms) -> None:
    seed_sku("V1-1", on_hand=5)
    api_client("shop")
    carrier = api_client("carrier", scopes=("fulfilment",))
    [key] = fresh_keys("v1-ship", 1)
    number = _start_earlier_order("V1-1", key)
    shipped = carrier.post(
        f"/api/v1/orders/{number}/ship/", {"carrier": "DHL", "tracking_number": "V1"}, "application/json"
    )
    assert (shipped.status_code, shipped.json()["status"]) == (200, "shipped"), shipped.content
    event = {"event_id": "v1-e1", "status": "delivered", "occurred_at": "2026-12-01T10:00:00+00:00"}
    delivered = carrier.post(f"/api/v1/orders/{number}/delivery-events/", event, "application/json")
    assert (delivered.status_code, delivered.json()["status"]) == (200, "delivered"), delivered.content
    assert_orders_consistent([number], ends={"delivered"})


def test_an_order_of_the_earlier_process_is_cancelled_through_the_api(live_oms) -> None:
    seed_sku("V1-2", on_hand=5)
    shop = api_client("shop")
    [key] = fresh_keys("v1-cancel", 1)
    number = _start_earlier_order("V1-2", key)
    cancelled = shop.post(f"/api/v1/orders/{number}/cancel/", {"reason": "changed mind"}, "application/json")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled"), cancelled.content
    again = shop.post(f"/api/v1/orders/{number}/cancel/", {"reason": "again"}, "application/json")
    assert again.status_code == 200, again.content  # answered from the read model: the order as it is
    assert_orders_consistent([number], ends={"cancelled"})
