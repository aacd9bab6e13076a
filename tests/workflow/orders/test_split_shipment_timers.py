"""Split shipments and their timers on the time-skipping server, with the project's real workers and activities:
the authorization expiring with units still to ship, and a shipment's own SLA timer (docs/orders.md "Shipments")."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings

from catalog.stock import stock_held_by_order
from orders.contracts import (
    DeliveryEventInput,
    DeliveryEventResult,
    ShipInput,
    ShipLine,
    order_workflow_id,
    shipment_workflow_id,
)
from orders.models import Order, OrderLine
from orders.workflows import OrderWorkflow
from payments.models import Payment
from tests.integration.orders.helpers import ledger_matches_levels, seed_sku, stock
from tests.temporal_env import on_test_queues, workers_on
from tests.workflow.orders.test_order_workflow import read_order, wait_confirmed
from tests.workflow.replay.test_order_histories import prepare_two_units

pytestmark = pytest.mark.django_db(transaction=True)


async def test_authorization_expiry_drops_the_unshipped_remainder_and_keeps_what_shipped(skip_env) -> None:  # type: ignore[no-untyped-def]
    await sync_to_async(seed_sku)("SPX-1", 5, price="10.00")
    inp = await sync_to_async(prepare_two_units)("SPX-1", "spx-1")
    async with workers_on(skip_env.client) as queues:
        handle = await skip_env.client.start_workflow(
            OrderWorkflow.run, on_test_queues(inp, queues), id=order_workflow_id(inp.number), task_queue=queues["order"]
        )
        await wait_confirmed(handle)
        one = ShipInput("DHL", "X-1", "test", lines=[ShipLine("SPX-1", 1)])
        assert await handle.execute_update(OrderWorkflow.ship, one) == "partially_shipped"
        assert await sync_to_async(stock)("SPX-1") == (4, 1)

        await skip_env.sleep(settings.PAYMENT_AUTHORIZATION_TTL + timedelta(hours=1))
        order = await read_order(inp.number, lambda o: o.status == "shipped")
        assert order.status == "shipped" and order.pending_action == ""
        # Cut to what shipped: one unit, the order's total exactly what its one shipment captured.
        lines = await sync_to_async(
            lambda: list(OrderLine.objects.filter(order=order).values_list("quantity", "total"))
        )()
        payment = await sync_to_async(Payment.objects.get)(order_number=inp.number)
        assert [q for q, _ in lines] == [1]
        assert order.total == payment.captured_amount == lines[0][1] + order.shipping
        assert sum((t for _, t in lines), Decimal(0)) + order.shipping == order.total
        assert (payment.status, payment.capture_closed) == ("captured", True)
        assert order.payment_status == "captured"
        assert await sync_to_async(stock)("SPX-1") == (4, 0)  # the unshipped unit went back
        assert await sync_to_async(stock_held_by_order)(inp.number) == []

        result = await handle.execute_update(
            OrderWorkflow.delivery_event,
            DeliveryEventInput("d1", "delivered", "2026-12-02T12:00:00+00:00", "test", shipment=1),
            result_type=DeliveryEventResult,
        )
        assert result.status == "delivered"
        assert await handle.result() == "delivered"
    assert await sync_to_async(ledger_matches_levels)("SPX-1")


async def test_a_shipment_in_transit_past_its_sla_flags_the_order(skip_env) -> None:  # type: ignore[no-untyped-def]
    await sync_to_async(seed_sku)("SPX-2", 5, price="10.00")
    inp = await sync_to_async(prepare_two_units)("SPX-2", "spx-2")
    sla = timedelta(hours=settings.ORDER_SLA_SHIPPED_HOURS)
    async with workers_on(skip_env.client) as queues:
        handle = await skip_env.client.start_workflow(
            OrderWorkflow.run, on_test_queues(inp, queues), id=order_workflow_id(inp.number), task_queue=queues["order"]
        )
        await wait_confirmed(handle)
        assert await handle.execute_update(OrderWorkflow.ship, ShipInput("DHL", "X-2", "test")) == "shipped"
        await skip_env.sleep(sla - timedelta(hours=1))
        assert (await read_order(inp.number, timeout=1)).sla_breached_status == ""
        await skip_env.sleep(timedelta(hours=2))
        order = await read_order(inp.number, lambda o: o.sla_breached_status)
        assert order.sla_breached_status == "shipped"
        child = skip_env.client.get_workflow_handle(shipment_workflow_id(inp.number, 1))
        assert (await child.describe()).status.name == "RUNNING"  # the shipment's own timer, still waiting
        await handle.execute_update(
            OrderWorkflow.delivery_event,
            DeliveryEventInput("d1", "delivered", "2026-12-02T12:00:00+00:00", "test", shipment=1),
            result_type=DeliveryEventResult,
        )
        assert await handle.result() == "delivered"
        assert await child.result() == "delivered"
    order = await sync_to_async(Order.objects.get)(number=inp.number)
    assert order.status == "delivered"
