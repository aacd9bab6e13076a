"""ReturnWorkflow on the time-skipping server with the project's real workers and activities: the return window (a
validator and the process's own check, on workflow time), the receive deadline (a durable timer), and receiving to
refunded. Each finished history replays with today's code; stored ones (``tests/workflow/replay/histories/
return_*.json``) too. Record missing ones with ``OMS_RECORD_HISTORIES=1``."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from temporalio.client import WorkflowHistory, WorkflowUpdateFailedError
from temporalio.service import RPCError

from oms_project import workers
from orders.contracts import DeliveryEventInput, DeliveryEventResult, ShipInput, order_workflow_id
from orders.models import Order
from orders.workflows import OrderWorkflow
from payments.models import Payment
from returns.contracts import ReceiveInput, RequestReturnInput, ReturnLineInput, StepInput, return_workflow_id
from returns.models import Return
from returns.services import order_delivered_at
from returns.workflows import ReturnWorkflow
from tests.integration.orders.helpers import seed_sku
from tests.temporal_env import on_test_queues, workers_on
from tests.workflow.orders.test_order_workflow import prepare, wait_confirmed

pytestmark = pytest.mark.django_db(transaction=True)
HISTORIES = Path(__file__).parents[1] / "replay" / "histories"


async def replays(handle, name: str) -> None:  # type: ignore[no-untyped-def]
    """Today's code replays the history just made; stored under ``name`` when asked to (OMS_RECORD_HISTORIES)."""
    history = await handle.fetch_history()
    await workers.replayer([ReturnWorkflow]).replay_workflow(history)
    path = HISTORIES / f"{name}.json"
    if os.environ.get("OMS_RECORD_HISTORIES") and (os.environ["OMS_RECORD_HISTORIES"] == "all" or not path.exists()):
        path.write_text(history.to_json())


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("return_*.json")), ids=lambda p: p.stem)
async def test_recorded_return_histories_replay(path: Path) -> None:
    history = WorkflowHistory.from_json(return_workflow_id("recorded"), path.read_text())
    await workers.replayer([ReturnWorkflow]).replay_workflow(history)


async def delivered_order(env, queues, sku: str, key: str) -> Order:  # type: ignore[no-untyped-def]
    await sync_to_async(seed_sku)(sku, 5)
    inp = await sync_to_async(prepare)(sku, key)
    handle = await env.client.start_workflow(
        OrderWorkflow.run, on_test_queues(inp, queues), id=order_workflow_id(inp.number), task_queue=queues["order"]
    )
    await wait_confirmed(handle)
    await handle.execute_update(OrderWorkflow.ship, ShipInput("DHL", "TRK-1", "test"))
    # Delivered "now" on the time-skipping server's clock (shared by the session's tests, which skip days): a fixed
    # date would fall out of the return window once earlier tests have skipped past it.
    event = DeliveryEventInput("ev-1", "delivered", (await env.get_current_time()).isoformat(), "test")
    answer = await handle.execute_update(OrderWorkflow.delivery_event, event, result_type=DeliveryEventResult)
    # Not ``handle.result()``: the order's run ends after its e-mail and webhook dispatches, and waiting on it lets
    # the time-skipping server jump ahead (years, through a stalled dispatch's retries) past the return window.
    assert answer.status == "delivered"
    return await sync_to_async(Order.objects.get)(number=inp.number)


def return_input(order: Order, return_id: str, queues: dict[str, str]) -> RequestReturnInput:
    delivered_at = order_delivered_at(order)
    assert delivered_at is not None
    inp = RequestReturnInput(
        return_id=return_id,
        order_number=order.number,
        lines=[ReturnLineInput(sku=order.lines.get().sku, quantity=1)],
        reason="damaged",
        note="",
        actor="partner:test",
        requested_at=delivered_at.isoformat(),
        delivered_at=delivered_at.isoformat(),
        window_days=settings.RETURN_WINDOW_DAYS,
        receive_days=settings.RETURN_RECEIVE_DAYS,
    )
    return dataclasses.replace(inp, webhook_task_queue=queues["webhook"], email_task_queue=queues["email"])


async def start_return(env, inp: RequestReturnInput, queues: dict[str, str]):  # type: ignore[no-untyped-def]
    handle = await env.client.start_workflow(
        ReturnWorkflow.run, inp, id=return_workflow_id(inp.return_id), task_queue=queues["order"]
    )
    return handle, await handle.execute_update(ReturnWorkflow.recorded, inp.return_id)


async def read_return(return_id: str, status: str, timeout: float = 10) -> Return:
    for _ in range(int(timeout / 0.05)):
        ret = await sync_to_async(Return.objects.filter(pk=return_id).first)()
        if ret is not None and ret.status == status:
            return ret
        await asyncio.sleep(0.05)
    raise AssertionError(f"{return_id} not {status}: {ret and ret.status}")


async def test_approved_return_expires_when_nothing_arrives_by_the_receive_deadline(skip_env) -> None:  # type: ignore[no-untyped-def]
    async with workers_on(skip_env.client) as queues:
        order = await delivered_order(skip_env, queues, "RET-EXP", "ret-exp")
        inp = await sync_to_async(return_input)(order, "R-EXPIRES0001", queues)
        handle, status = await start_return(skip_env, inp, queues)
        assert status == "requested"
        assert await handle.execute_update(ReturnWorkflow.approve, StepInput(actor="staff:ada")) == "approved"
        await skip_env.sleep(timedelta(days=settings.RETURN_RECEIVE_DAYS) - timedelta(hours=1))
        assert (await handle.query(ReturnWorkflow.progress)).status == "approved"  # not yet
        await skip_env.sleep(timedelta(hours=2))
        assert await handle.result() == "expired"
        ret = await read_return(inp.return_id, "expired")
        # Too late now: receiving an expired return is refused, and its units may be asked for again.
        events = await sync_to_async(lambda: [e.type for e in ret.events.all()])()
        assert events == ["requested", "approved", "expired"]
        order_events = await sync_to_async(lambda: [e.type for e in order.events.all()])()
        assert order_events[-3:] == ["return_requested", "return_approved", "return_expired"]
        await replays(handle, "return_expired")


async def test_received_return_restocks_and_refunds_once(skip_env) -> None:  # type: ignore[no-untyped-def]
    async with workers_on(skip_env.client) as queues:
        order = await delivered_order(skip_env, queues, "RET-RCV", "ret-rcv")
        inp = await sync_to_async(return_input)(order, "R-RECEIVED001", queues)
        handle, _ = await start_return(skip_env, inp, queues)
        await handle.execute_update(ReturnWorkflow.approve, StepInput(actor="staff:ada"))
        await skip_env.sleep(timedelta(days=3))  # the parcel takes a while: the deadline is still ahead
        assert await handle.execute_update(ReturnWorkflow.receive, ReceiveInput(actor="staff:bo")) == "refunded"
        assert await handle.result() == "refunded"
        ret = await read_return(inp.return_id, "refunded")
        payment = await sync_to_async(Payment.objects.get)(order_number=order.number)
        assert ret.refunded_amount == payment.refunded_amount == ret.refund_amount > 0
        await replays(handle, "return_refunded")


async def test_a_return_asked_after_the_window_closed_is_refused_and_records_nothing(skip_env) -> None:  # type: ignore[no-untyped-def]
    async with workers_on(skip_env.client) as queues:
        order = await delivered_order(skip_env, queues, "RET-WIN", "ret-win")
        inside = await sync_to_async(return_input)(order, "R-WINDOWOPEN1", queues)
        await skip_env.sleep(timedelta(days=settings.RETURN_WINDOW_DAYS - 1))
        _, status = await start_return(skip_env, inside, queues)  # on the last day: still open
        assert status == "requested"

        await skip_env.sleep(timedelta(days=2))
        late = dataclasses.replace(inside, return_id="R-WINDOWSHUT1")
        with pytest.raises((WorkflowUpdateFailedError, RPCError)) as refused:
            await start_return(skip_env, late, queues)
        assert "return_window_closed" in repr(refused.value) + repr(getattr(refused.value, "cause", None))
        assert not await sync_to_async(Return.objects.filter(pk=late.return_id).exists)()
