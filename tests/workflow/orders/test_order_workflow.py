"""OrderWorkflow timers on the time-skipping server with the project's real workers and activities."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings

from orders import services
from orders.api.serializers import OrderSerializer
from orders.contracts import DeliveryEventInput, DeliveryEventResult, ShipInput, order_workflow_id
from orders.models import Order
from orders.workflows import OrderWorkflow
from partners.models import Partner
from payments.selectors import sandbox_ledger_summary
from tests.integration.orders.helpers import order_arguments, order_body, seed_sku, stock
from tests.temporal_env import on_test_queues, workers_on

pytestmark = pytest.mark.django_db(transaction=True)


def prepare(sku: str, key: str):  # type: ignore[no-untyped-def]
    partner = Partner.objects.create(name=f"partner-{key}")
    body = order_body(sku)
    return services.order_prepare(
        partner=partner,
        channel="api",
        **order_arguments(body),
        idempotency_key=key,
        actor="partner:test",
    )


async def wait_confirmed(handle) -> None:  # type: ignore[no-untyped-def]
    for _ in range(200):
        progress = await handle.query(OrderWorkflow.progress)
        if progress.step == "awaiting_shipment":
            break
        await asyncio.sleep(0.05)
    assert progress.status == "confirmed", progress


async def read_order(number: str, until=lambda order: True, timeout: float = 10) -> Order:  # type: ignore[no-untyped-def]
    """The read model, once ``until(order)`` holds (an activity may still be writing after a timer fired)."""
    for _ in range(int(timeout / 0.05)):
        order = await sync_to_async(Order.objects.get)(number=number)
        if until(order):
            return order
        await asyncio.sleep(0.05)
    return order


async def test_unshipped_order_is_flagged_at_its_sla_then_cancelled_when_its_authorization_expires(skip_env) -> None:  # type: ignore[no-untyped-def]
    await sync_to_async(seed_sku)("EXP-1", 5)
    inp = await sync_to_async(prepare)("EXP-1", "exp-1")
    sla = timedelta(hours=settings.ORDER_SLA_CONFIRMED_HOURS)
    assert sla < settings.PAYMENT_AUTHORIZATION_TTL - timedelta(hours=2)  # the test needs the SLA first
    async with workers_on(skip_env.client) as queues:
        handle = await skip_env.client.start_workflow(
            OrderWorkflow.run, on_test_queues(inp, queues), id=order_workflow_id(inp.number), task_queue=queues["order"]
        )
        await wait_confirmed(handle)

        await skip_env.sleep(sla - timedelta(hours=1))
        order = await read_order(inp.number, timeout=1)
        assert (order.status, order.sla_breached_status) == ("confirmed", "")
        await skip_env.sleep(timedelta(hours=2))
        order = await read_order(inp.number, lambda o: o.sla_breached_status)
        assert (order.status, order.sla_breached_status) == ("confirmed", "confirmed")
        assert order.sla_breached_at is not None
        body = await sync_to_async(lambda: dict(OrderSerializer(order).data))()
        assert body["sla_breached"] is True
        assert 'oms_orders_sla_breached{status="confirmed"} 1.0' in await sync_to_async(metrics_text)()

        elapsed = sla + timedelta(hours=1)
        await skip_env.sleep(settings.PAYMENT_AUTHORIZATION_TTL - elapsed - timedelta(hours=1))
        assert (await handle.query(OrderWorkflow.progress)).status == "confirmed"
        await skip_env.sleep(timedelta(hours=2))
        assert await handle.result() == "cancelled"

    order = await sync_to_async(Order.objects.get)(number=inp.number)
    assert (order.status, order.payment_status, order.cancel_reason) == ("cancelled", "voided", "authorization_expired")
    assert order.sla_breached_status == ""  # a new status clears the flag
    assert await sync_to_async(stock)("EXP-1") == (5, 0)
    summary = await sync_to_async(sandbox_ledger_summary)(order_numbers=[inp.number])
    assert summary.voids[inp.number] == 1 and summary.captures[inp.number] == 0


async def test_shipped_order_is_flagged_at_its_sla_and_delivery_clears_it(skip_env) -> None:  # type: ignore[no-untyped-def]
    await sync_to_async(seed_sku)("SLA-1", 5)
    inp = await sync_to_async(prepare)("SLA-1", "sla-1")
    sla = timedelta(hours=settings.ORDER_SLA_SHIPPED_HOURS)
    async with workers_on(skip_env.client) as queues:
        handle = await skip_env.client.start_workflow(
            OrderWorkflow.run, on_test_queues(inp, queues), id=order_workflow_id(inp.number), task_queue=queues["order"]
        )
        await wait_confirmed(handle)
        assert await handle.execute_update(OrderWorkflow.ship, ShipInput("DHL", "TRK-1", "test")) == "shipped"
        # Shipped: the authorization is captured, so its expiry no longer cancels anything.
        await skip_env.sleep(sla - timedelta(hours=1))
        order = await read_order(inp.number, timeout=1)
        assert (order.status, order.sla_breached_status, order.payment_status) == ("shipped", "", "captured")
        await skip_env.sleep(timedelta(hours=2))
        order = await read_order(inp.number, lambda o: o.sla_breached_status)
        assert order.sla_breached_status == "shipped"
        # Past the authorization's expiry: a shipped (captured) order is not cancelled by it.
        await skip_env.sleep(max(settings.PAYMENT_AUTHORIZATION_TTL - sla, timedelta(0)) + timedelta(hours=1))
        assert (await handle.query(OrderWorkflow.progress)).status == "shipped"

        event = DeliveryEventInput("ev-1", "delivered", "2026-11-25T10:00:00+00:00", "test")
        result = await handle.execute_update(OrderWorkflow.delivery_event, event, result_type=DeliveryEventResult)
        assert (result.applied, result.status) == (True, "delivered")
        assert await handle.result() == "delivered"

    order = await sync_to_async(Order.objects.get)(number=inp.number)
    assert (order.status, order.delivery_status, order.sla_breached_status) == ("delivered", "delivered", "")
    assert await sync_to_async(stock)("SLA-1") == (4, 0)


def metrics_text() -> str:
    from prometheus_client import REGISTRY, generate_latest

    return generate_latest(REGISTRY).decode()
