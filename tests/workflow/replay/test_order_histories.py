"""Replay: today's OrderWorkflow code must replay histories recorded by earlier code (determinism check).

``histories/order_*.json`` were recorded from real runs: ``order_cancelled`` (confirmed then cancelled) and
``order_failed_stock`` by the code before shipment existed (no patch markers: they prove that code paths added since
are behind ``workflow.patched``), ``order_delivered`` (shipped, delivery events, delivered) by the fulfilment code,
``order_*_lean`` by the code behind ``order-fewer-round-trips`` (its patch marker; webhook events recorded by the
order's writes, no ``webhooks.publish`` activities, ``payment_authorized`` written with the confirm). Fresh runs are
recorded under the current shape's names. A change that breaks replay of running orders needs ``workflow.patched``
(see STYLE.md and docs/orders.md "Workflow versioning"). To record a history that is missing:
``OMS_RECORD_HISTORIES=1 pytest tests/workflow/replay``; ``OMS_RECORD_HISTORIES=all`` re-records every one (only
after an intended, versioned change: the old files are the proof that old histories still replay).
"""

from __future__ import annotations

import asyncio
import os
from decimal import Decimal
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from oms_project import workers
from orders import services
from orders.contracts import (
    CancelInput,
    DeliveryEventInput,
    DeliveryEventResult,
    ShipInput,
    ShipLine,
    order_workflow_id,
    shipment_workflow_id,
)
from orders.workflows import OrderWorkflow
from orders.workflows_shipment import ShipmentWorkflow
from orders.workflows_v1 import OrderWorkflowV1
from partners.models import Partner
from tests.integration.orders.helpers import order_arguments, order_body, seed_sku
from tests.temporal_env import on_test_queues, workers_on
from tests.workflow.orders.test_order_workflow import prepare
from vouchers.models import Voucher
from vouchers.services import voucher_create

HISTORIES = Path(__file__).parent / "histories"
pytestmark = pytest.mark.django_db(transaction=True)


def replayer() -> Replayer:
    # The project's payload codec too: plain recorded histories pass through it unchanged.
    return workers.replayer([OrderWorkflow, OrderWorkflowV1, ShipmentWorkflow])


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("order_*.json")), ids=lambda p: p.stem)
async def test_recorded_order_histories_replay(path: Path) -> None:
    history = WorkflowHistory.from_json(order_workflow_id("recorded"), path.read_text())
    await replayer().replay_workflow(history)


async def test_fresh_order_histories_replay(skip_env) -> None:  # type: ignore[no-untyped-def]
    await sync_to_async(seed_sku)("RPL-1", 1)
    await sync_to_async(seed_sku)("RPL-2", 0)
    await sync_to_async(seed_sku)("RPL-3", 2)
    cancelled = await sync_to_async(prepare)("RPL-1", "replay-cancelled")
    failed = await sync_to_async(prepare)("RPL-2", "replay-failed")
    delivered = await sync_to_async(prepare)("RPL-3", "replay-delivered")
    async with workers_on(skip_env.client) as queues:
        handle = await skip_env.client.start_workflow(
            OrderWorkflow.run,
            on_test_queues(cancelled, queues),
            id=order_workflow_id(cancelled.number),
            task_queue=queues["order"],
        )
        for _ in range(200):
            if (await handle.query(OrderWorkflow.progress)).step == "awaiting_shipment":
                break
            await asyncio.sleep(0.05)
        await handle.execute_update(OrderWorkflow.cancel, CancelInput(reason="replay", actor="test"))
        assert await handle.result() == "cancelled"
        out_of_stock = await skip_env.client.start_workflow(
            OrderWorkflow.run,
            on_test_queues(failed, queues),
            id=order_workflow_id(failed.number),
            task_queue=queues["order"],
        )
        assert await out_of_stock.result() == "failed"
        shipped = await skip_env.client.start_workflow(
            OrderWorkflow.run,
            on_test_queues(delivered, queues),
            id=order_workflow_id(delivered.number),
            task_queue=queues["order"],
        )
        for _ in range(200):
            if (await shipped.query(OrderWorkflow.progress)).step == "awaiting_shipment":
                break
            await asyncio.sleep(0.05)
        await shipped.execute_update(
            OrderWorkflow.delivery_event, DeliveryEventInput("r1", "accepted", "2026-11-25T10:00:00+00:00", "test")
        )
        assert await shipped.execute_update(OrderWorkflow.ship, ShipInput("DHL", "R-1", "test")) == "shipped"
        for event_id, status in (("r3", "in_transit"), ("r2", "assigned"), ("r3", "in_transit"), ("r4", "delivered")):
            await shipped.execute_update(
                OrderWorkflow.delivery_event,
                DeliveryEventInput(event_id, status, "2026-11-25T11:00:00+00:00", "test"),
                result_type=DeliveryEventResult,
            )
        assert await shipped.result() == "delivered"

    record = os.environ.get("OMS_RECORD_HISTORIES", "")
    for name, wf_handle in (
        ("order_process_cancelled", handle),
        ("order_process_failed_stock", out_of_stock),
        ("order_process_delivered", shipped),
    ):
        history = await wf_handle.fetch_history()
        await replayer().replay_workflow(history)
        path = HISTORIES / f"{name}.json"
        if record == "all" or (record and not path.exists()):
            path.write_text(history.to_json())


def _prepare_with_voucher(sku: str, key: str, code: str):  # type: ignore[no-untyped-def]
    voucher_create(code=code, kind="percentage", value=Decimal("10"), usage_limit=5)
    return services.order_prepare(
        partner=Partner.objects.create(name=f"partner-{key}"),
        channel="api",
        **order_arguments(order_body(sku)),
        voucher_code=code,
        idempotency_key=key,
        actor="partner:test",
    )


def prepare_two_units(sku: str, key: str):  # type: ignore[no-untyped-def]
    partner = Partner.objects.create(name=f"partner-{key}")
    return services.order_prepare(
        partner=partner,
        channel="api",
        **order_arguments(order_body(sku, quantity=2)),
        idempotency_key=key,
        actor="partner:test",
    )


def _uses(code: str) -> int:
    return Voucher.objects.get(code=code).used_count


async def test_fresh_voucher_histories_replay(skip_env) -> None:  # type: ignore[no-untyped-def]
    """The "redeem voucher" step (behind the ``redeem-voucher`` patch): a cancelled order and a parcel not
    delivered each give the use back; both histories replay and are stored."""
    await sync_to_async(seed_sku)("RPL-V1", 1)
    await sync_to_async(seed_sku)("RPL-V2", 1)
    cancelled = await sync_to_async(_prepare_with_voucher)("RPL-V1", "replay-voucher-cancelled", "RPLV1")
    returned = await sync_to_async(_prepare_with_voucher)("RPL-V2", "replay-voucher-not-delivered", "RPLV2")
    assert cancelled.voucher_code == "RPLV1" and cancelled.discount == "1.25"
    async with workers_on(skip_env.client) as queues:
        handles = []
        for inp in (cancelled, returned):
            handle = await skip_env.client.start_workflow(
                OrderWorkflow.run,
                on_test_queues(inp, queues),
                id=order_workflow_id(inp.number),
                task_queue=queues["order"],
            )
            for _ in range(200):
                if (await handle.query(OrderWorkflow.progress)).step == "awaiting_shipment":
                    break
                await asyncio.sleep(0.05)
            handles.append(handle)
        assert await sync_to_async(_uses)("RPLV1") == 1
        await handles[0].execute_update(OrderWorkflow.cancel, CancelInput(reason="replay", actor="test"))
        assert await handles[0].result() == "cancelled"
        assert await handles[1].execute_update(OrderWorkflow.ship, ShipInput("DHL", "R-V", "test")) == "shipped"
        await handles[1].execute_update(
            OrderWorkflow.delivery_event,
            DeliveryEventInput("v1", "not_delivered", "2026-11-25T11:00:00+00:00", "test"),
            result_type=DeliveryEventResult,
        )
        assert await handles[1].result() == "cancelled"
    assert await sync_to_async(_uses)("RPLV1") == 0
    assert await sync_to_async(_uses)("RPLV2") == 0

    record = os.environ.get("OMS_RECORD_HISTORIES", "")
    for name, wf_handle in zip(
        ("order_process_voucher_cancelled", "order_process_voucher_not_delivered"), handles, strict=True
    ):
        history = await wf_handle.fetch_history()
        await replayer().replay_workflow(history)
        path = HISTORIES / f"{name}.json"
        if record == "all" or (record and not path.exists()):
            path.write_text(history.to_json())


async def test_fresh_two_shipment_history_replays(skip_env) -> None:  # type: ignore[no-untyped-def]
    """An order shipped in two shipments (each a child workflow), one not delivered, one delivered: the order's
    history and a shipment's replay with today's code (stored as ``order_process_two_shipments`` and
    ``order_shipment_returned``)."""
    await sync_to_async(seed_sku)("RPL-4", 2)
    inp = await sync_to_async(prepare_two_units)("RPL-4", "replay-two-shipments")
    async with workers_on(skip_env.client) as queues:
        handle = await skip_env.client.start_workflow(
            OrderWorkflow.run, on_test_queues(inp, queues), id=order_workflow_id(inp.number), task_queue=queues["order"]
        )
        for _ in range(200):
            if (await handle.query(OrderWorkflow.progress)).step == "awaiting_shipment":
                break
            await asyncio.sleep(0.05)
        one = ShipInput("DHL", "R-1", "test", lines=[ShipLine("RPL-4", 1)])
        assert await handle.execute_update(OrderWorkflow.ship, one) == "partially_shipped"
        assert await handle.execute_update(OrderWorkflow.ship, ShipInput("UPS", "R-2", "test")) == "shipped"
        for shipment, status in ((1, "not_delivered"), (2, "in_transit"), (2, "delivered")):
            await handle.execute_update(
                OrderWorkflow.delivery_event,
                DeliveryEventInput(f"e-{status}", status, "2026-12-02T11:00:00+00:00", "test", shipment=shipment),
                result_type=DeliveryEventResult,
            )
        assert await handle.result() == "delivered"
        child = skip_env.client.get_workflow_handle(shipment_workflow_id(inp.number, 1))
        assert await child.result() == "returned"

    record = os.environ.get("OMS_RECORD_HISTORIES", "")
    for name, wf_handle in (("order_process_two_shipments", handle), ("order_shipment_returned", child)):
        history = await wf_handle.fetch_history()
        await replayer().replay_workflow(history)
        path = HISTORIES / f"{name}.json"
        if record == "all" or (record and not path.exists()):
            path.write_text(history.to_json())
