"""The saga helper inside a real workflow on the time-skipping server, compensating with REAL activities
(stock release, payment void against the database) plus small test activities that fail or block."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    import pytest
    from temporalio.client import WorkflowFailureError
    from temporalio.exceptions import CancelledError

    from catalog.contracts import STOCK_RELEASE, STOCK_RESERVE, ReserveInput, ReserveResult, StockLine, StockOrderInput
    from payments.contracts import PAYMENT_AUTHORIZE, PAYMENT_VOID, AuthorizeInput, PaymentOrderInput, PaymentResult
    from sagas.saga import CompensationRecord, Saga
    from tests.workflow.activity_worker import db_call, order_activity_worker

pytestmark = pytest.mark.django_db(transaction=True)

GATE = "test.saga.gate"
FLAKY = "test.saga.flaky"


@dataclass
class CheckoutInput:
    order_number: str
    token: str
    quantity: int = 2
    gate_before_payment: bool = False  # a compensation that blocks until the test opens the gate
    flaky_last: bool = False  # a last step whose compensation fails a few times first
    wait_for_cancel: bool = False
    late_step: bool = False  # registers one more compensation after compensating


@workflow.defn
class SagaCheckoutWorkflow:
    """A miniature checkout: reserve stock, authorize payment, each with its compensation registered first."""

    def __init__(self) -> None:
        self.timeline: list[str] = []
        self.saga = Saga(on_compensation=self._record, maximum_interval=timedelta(seconds=5))

    async def _record(self, record: CompensationRecord) -> None:
        self.timeline.append(f"{record.step}:{record.status}")

    @workflow.query
    def progress(self) -> dict:
        return {"pending": self.saga.pending, "records": [dataclasses.asdict(r) for r in self.saga.records]}

    @workflow.run
    async def run(self, inp: CheckoutInput) -> list[str]:
        key = workflow.info().workflow_id
        number = inp.order_number
        try:
            self.saga.add_compensation("reserve", STOCK_RELEASE, StockOrderInput(number, f"{key}:stock.release"))
            await workflow.execute_activity(
                STOCK_RESERVE,
                ReserveInput(number, [StockLine("SAGA-SKU", inp.quantity)], f"{key}:stock.reserve"),
                result_type=ReserveResult,
                start_to_close_timeout=timedelta(seconds=10),
            )
            if inp.gate_before_payment:
                self.saga.add_compensation("gate", GATE, number)
            self.saga.add_compensation("authorize", PAYMENT_VOID, PaymentOrderInput(number, f"{key}:payment.void"))
            await workflow.execute_activity(
                PAYMENT_AUTHORIZE,
                AuthorizeInput(number, "20.00", "EUR", "card", inp.token, f"{key}:payment.authorize"),
                result_type=PaymentResult,
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100)),
            )
            if inp.flaky_last:
                self.saga.add_compensation("notify", FLAKY, number, local=True)
                raise ApplicationError("a later step failed", type="test_failure", non_retryable=True)
            if inp.wait_for_cancel:
                await workflow.wait_condition(lambda: False)
            return ["completed"]
        except (ActivityError, ApplicationError):
            await self.saga.compensate()
            await self.saga.compensate()  # idempotent: runs nothing again
            if inp.late_step:  # e.g. a step that was in flight when a cancel update compensated
                self.saga.add_compensation("late", STOCK_RELEASE, StockOrderInput(number, f"{key}:late.release"))
                await self.saga.compensate()
            return ["failed", *self.timeline]
        except asyncio.CancelledError:
            await self.saga.compensate()
            raise


_gates: dict[str, threading.Event] = {}
_flaky_calls: dict[str, int] = {}


@activity.defn(name=GATE)
def gate(order_number: str) -> None:
    event = _gates[order_number]
    while not event.wait(0.1):
        activity.heartbeat()


@activity.defn(name=FLAKY)
def flaky(order_number: str) -> None:
    """Two transient failures (Temporal retries them), then one business refusal (the saga retries it)."""
    _flaky_calls[order_number] = calls = _flaky_calls.get(order_number, 0) + 1
    if calls <= 2:
        raise RuntimeError(f"transient failure {calls}")
    if calls == 3:
        raise ApplicationError("refused once", type="test_refusal", non_retryable=True)


@db_call
def given_stock(on_hand: int = 5) -> None:
    from tests.stock_helpers import stock

    stock("SAGA-SKU", "main", on_hand)


@db_call
def db_state(order_number: str) -> dict:
    from catalog.stock import stock_held_by_order
    from payments.models import Payment
    from payments.selectors import sandbox_ledger_summary
    from tests.stock_helpers import assert_ledger_matches_levels, level

    assert_ledger_matches_levels()
    payment = Payment.objects.filter(order_number=order_number).first()
    return {
        "allocated": level("SAGA-SKU", "main").allocated,
        "held": stock_held_by_order(order_number),
        "payment": payment.status if payment else None,
        "summary": sandbox_ledger_summary(order_numbers=[order_number]),
    }


async def start(env, task_queue: str, inp: CheckoutInput):  # type: ignore[no-untyped-def]
    return await env.client.start_workflow(
        SagaCheckoutWorkflow.run, inp, id=f"saga-test-{uuid.uuid4().hex[:8]}", task_queue=task_queue
    )


async def wait_for(handle, predicate, timeout: float = 20.0) -> dict:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        progress = await handle.query(SagaCheckoutWorkflow.progress)
        if predicate(progress):
            return progress
        assert loop.time() < deadline, progress
        await asyncio.sleep(0.1)


async def test_declined_payment_compensates_in_reverse_order(skip_env) -> None:  # type: ignore[no-untyped-def]
    await given_stock()
    async with order_activity_worker(skip_env.client, workflows=[SagaCheckoutWorkflow]) as queue:
        handle = await start(skip_env, queue, CheckoutInput("S-1", "pm_card_declined", late_step=True))
        assert await handle.result() == ["failed", "authorize:done", "reserve:done", "late:done"]
        progress = await handle.query(SagaCheckoutWorkflow.progress)

    assert progress["pending"] == []
    assert [(r["step"], r["status"], r["attempts"]) for r in progress["records"]] == [
        ("late", "done", 1),
        ("authorize", "done", 1),
        ("reserve", "done", 1),
    ]
    state = await db_state("S-1")
    assert state["allocated"] == 0 and state["held"] == []
    assert state["payment"] == "failed"
    assert state["summary"].orders_charged == set()


async def test_a_failing_compensation_is_retried_until_it_succeeds(skip_env) -> None:  # type: ignore[no-untyped-def]
    await given_stock()
    async with order_activity_worker(skip_env.client, workflows=[SagaCheckoutWorkflow], activities=[flaky]) as queue:
        handle = await start(skip_env, queue, CheckoutInput("S-2", "pm_card_ok", flaky_last=True))
        result = await handle.result()
        progress = await handle.query(SagaCheckoutWorkflow.progress)

    assert result == ["failed", "notify:done", "authorize:done", "reserve:done"]
    notify = progress["records"][0]
    assert (notify["step"], notify["status"], notify["attempts"]) == ("notify", "done", 2)
    assert "test_refusal" in notify["last_error"]
    assert _flaky_calls["S-2"] == 4  # 2 transient (Temporal retries) + 1 refusal (saga retries) + 1 success
    state = await db_state("S-2")
    assert state["allocated"] == 0 and state["payment"] == "voided"
    summary = state["summary"]
    assert summary.authorizations["S-2"] == 1 and summary.voids["S-2"] == 1 and summary.open_authorizations == []


async def test_cancelling_the_workflow_runs_every_compensation(skip_env) -> None:  # type: ignore[no-untyped-def]
    await given_stock()
    async with order_activity_worker(skip_env.client, workflows=[SagaCheckoutWorkflow]) as queue:
        handle = await start(skip_env, queue, CheckoutInput("S-3", "pm_card_ok", wait_for_cancel=True))
        await wait_for(handle, lambda p: p["pending"] == ["authorize", "reserve"])
        assert (await db_state("S-3"))["payment"] == "authorized"
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as exc:
            await handle.result()
        progress = await handle.query(SagaCheckoutWorkflow.progress)

    assert isinstance(exc.value.cause, CancelledError)
    assert progress["pending"] == []
    state = await db_state("S-3")
    assert state["allocated"] == 0 and state["payment"] == "voided"
    assert state["summary"].open_authorizations == []


async def test_cancellation_during_compensation_does_not_stop_it(skip_env) -> None:  # type: ignore[no-untyped-def]
    await given_stock()
    _gates["S-4"] = threading.Event()
    async with order_activity_worker(skip_env.client, workflows=[SagaCheckoutWorkflow], activities=[gate]) as queue:
        handle = await start(skip_env, queue, CheckoutInput("S-4", "pm_card_declined", gate_before_payment=True))
        # Compensating: the payment is done, the gate compensation blocks, the stock release waits behind it.
        await wait_for(handle, lambda p: [r["status"] for r in p["records"]] == ["done", "running", "pending"])
        await handle.cancel()
        await asyncio.sleep(0.5)
        assert (await db_state("S-4"))["allocated"] == 2  # not released yet: compensations run in order
        _gates["S-4"].set()
        with pytest.raises(WorkflowFailureError) as exc:
            await handle.result()
        progress = await handle.query(SagaCheckoutWorkflow.progress)

    assert isinstance(exc.value.cause, CancelledError)  # the cancellation is honoured, after the compensations
    assert progress["pending"] == []
    assert [r["step"] for r in progress["records"]] == ["authorize", "gate", "reserve"]
    assert (await db_state("S-4"))["allocated"] == 0
