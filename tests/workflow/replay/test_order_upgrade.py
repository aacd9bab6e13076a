"""Upgrade: an order started by the pre-fulfilment OrderWorkflow (frozen in ``legacy/``) and waiting for
shipment when the new code is deployed replays on the new code and can then be shipped and delivered."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.worker import Worker

from oms_project.workers import ORDER, activity_thread_pool, collect_components, replayer, workflow_runner
from orders.contracts import (
    DeliveryEventInput,
    DeliveryEventResult,
    EditInput,
    OrderProgress,
    ShipInput,
    ShipLine,
    order_workflow_id,
)
from orders.models import Order
from orders.workflows_v1 import OrderWorkflowV1
from tests.integration.orders.helpers import seed_sku, stock
from tests.workflow.orders.test_order_workflow import prepare
from tests.workflow.replay.legacy.order_workflow_v1 import OrderWorkflow as LegacyOrderWorkflow

HISTORY = Path(__file__).parent / "histories" / "order_v1_awaiting_shipment.json"
pytestmark = pytest.mark.django_db(transaction=True)


def order_worker(client: Client, queue: str, workflow: type, executor) -> Worker:  # type: ignore[no-untyped-def]
    return Worker(
        client,
        task_queue=queue,
        workflows=[workflow],
        activities=collect_components()[ORDER].activities,
        activity_executor=executor,
        workflow_runner=workflow_runner(),
        max_cached_workflows=0,  # no sticky queue: the next task goes to whichever worker polls (the new code)
    )


async def until_awaiting_shipment(handle: WorkflowHandle) -> None:
    for _ in range(200):
        progress = await handle.query("progress", result_type=OrderProgress)
        if progress.step == "awaiting_shipment":
            return
        await asyncio.sleep(0.05)
    raise AssertionError(progress)


async def test_order_started_by_old_code_ships_and_delivers_on_new_code(skip_env) -> None:  # type: ignore[no-untyped-def]
    await sync_to_async(seed_sku)("UPG-1", 3)
    inp = await sync_to_async(prepare)("UPG-1", "upgrade-1")
    queue = "test-upgrade-order"
    with activity_thread_pool() as executor:
        async with order_worker(skip_env.client, queue, LegacyOrderWorkflow, executor):
            handle = await skip_env.client.start_workflow(
                "OrderWorkflow", inp, id=order_workflow_id(inp.number), task_queue=queue
            )
            await until_awaiting_shipment(handle)
        old_history = await handle.fetch_history()
        if os.environ.get("OMS_RECORD_HISTORIES") and not HISTORY.exists():
            HISTORY.write_text(old_history.to_json())
        # The deploy: the new code replays the old history (no patch markers in it) without a mismatch ...
        await replayer([OrderWorkflowV1]).replay_workflow(old_history)

        # ... and takes over the running order: ship, delivery events, delivered.
        async with order_worker(skip_env.client, queue, OrderWorkflowV1, executor):
            # Split shipments and edits came after this process: refused by validators (never in its history).
            partial = ShipInput("DHL", "U-0", "test", lines=[ShipLine("UPG-1", 1)])
            with pytest.raises(WorkflowUpdateFailedError):
                await handle.execute_update(OrderWorkflowV1.ship, partial)
            with pytest.raises(WorkflowUpdateFailedError):
                await handle.execute_update("edit", EditInput(lines=[], totals={}, actor="test"))
            assert await handle.execute_update(OrderWorkflowV1.ship, ShipInput("DHL", "U-1", "test")) == "shipped"
            result = await handle.execute_update(
                OrderWorkflowV1.delivery_event,
                DeliveryEventInput("u1", "delivered", "2026-11-25T12:00:00+00:00", "test"),
                result_type=DeliveryEventResult,
            )
            assert result.status == "delivered"
            assert await handle.result() == "delivered"
        # The whole mixed history (old code, then new) replays on the new code.
        await replayer([OrderWorkflowV1]).replay_workflow(await handle.fetch_history())

    order = await sync_to_async(Order.objects.get)(number=inp.number)
    assert (order.status, order.payment_status, order.tracking_number) == ("delivered", "captured", "U-1")
    assert await sync_to_async(stock)("UPG-1") == (2, 0)


EXPIRED_HISTORY = Path(__file__).parent / "histories" / "order_v1_authorization_expired.json"


async def test_order_cancelled_by_old_codes_authorization_timer_replays_on_new_code(skip_env) -> None:  # type: ignore[no-untyped-def]
    """The old code's one timer fired (the payment authorization expired, so it cancelled the order). The new
    code must wait on the same single timer for such an order: without the ``order-sla-timers`` patch guard it
    would read that timer as the SLA deadline and flag the order instead of cancelling it (a nondeterminism
    error on replay)."""
    await sync_to_async(seed_sku)("UPG-2", 3)
    inp = await sync_to_async(prepare)("UPG-2", "upgrade-2")
    queue = "test-upgrade-expiry"
    with activity_thread_pool() as executor:
        async with order_worker(skip_env.client, queue, LegacyOrderWorkflow, executor):
            handle = await skip_env.client.start_workflow(
                "OrderWorkflow", inp, id=order_workflow_id(inp.number), task_queue=queue
            )
            await until_awaiting_shipment(handle)
            await skip_env.sleep(settings.PAYMENT_AUTHORIZATION_TTL + timedelta(days=1))
            assert await handle.result() == "cancelled"
    history = await handle.fetch_history()
    if os.environ.get("OMS_RECORD_HISTORIES") and not EXPIRED_HISTORY.exists():
        EXPIRED_HISTORY.write_text(history.to_json())
    assert any(event.HasField("timer_fired_event_attributes") for event in history.events)
    await replayer([OrderWorkflowV1]).replay_workflow(history)
