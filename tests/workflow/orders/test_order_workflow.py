"""OrderWorkflow timers on the time-skipping server with the project's real workers and activities."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings

from orders import services
from orders.contracts import order_workflow_id
from orders.models import Order
from orders.workflows import OrderWorkflow
from partners.models import Partner
from tests.integration.orders.helpers import order_body, seed_sku, stock
from tests.temporal_env import workers_on

pytestmark = pytest.mark.django_db(transaction=True)


def prepare(sku: str, key: str):  # type: ignore[no-untyped-def]
    partner = Partner.objects.create(name=f"partner-{key}")
    body = order_body(sku)
    return services.order_prepare(
        partner=partner,
        channel="api",
        lines=body["lines"],
        contact=body["customer"],
        shipping_address=body["shipping_address"],
        delivery=None,
        payment=body["payment"],
        idempotency_key=key,
        actor="partner:test",
    )


async def test_unshipped_order_is_cancelled_when_its_authorization_expires(skip_env) -> None:  # type: ignore[no-untyped-def]
    await sync_to_async(seed_sku)("EXP-1", 5)
    inp = await sync_to_async(prepare)("EXP-1", "exp-1")
    async with workers_on(skip_env.client) as queues:
        handle = await skip_env.client.start_workflow(
            OrderWorkflow.run, inp, id=order_workflow_id(inp.number), task_queue=queues["order"]
        )
        for _ in range(200):
            progress = await handle.query(OrderWorkflow.progress)
            if progress.step == "awaiting_shipment":
                break
            await asyncio.sleep(0.05)
        assert progress.status == "confirmed", progress

        await skip_env.sleep(settings.PAYMENT_AUTHORIZATION_TTL - timedelta(hours=1))
        assert (await handle.query(OrderWorkflow.progress)).status == "confirmed"
        await skip_env.sleep(timedelta(hours=2))
        assert await handle.result() == "cancelled"

    order = await sync_to_async(Order.objects.get)(number=inp.number)
    assert (order.status, order.payment_status, order.cancel_reason) == (
        "cancelled",
        "voided",
        "payment_authorization_expired",
    )
    assert await sync_to_async(stock)("EXP-1") == (5, 0)
