"""The order's Temporal shape with no-op steps, reached the way an order is: the floor of "order placed -> confirmed".

``bench/noop_saga.py``'s saga is the bare shape: started by the bench process itself, async no-op activities, and
it completes. An order is more than that shape, and none of the rest is the order's own work:
- the web starts it (``POST /bench/noop-order/<number>/``, bench/urls.py) with the order's call, an update-with-start
  whose update answers once the first step ran (``OrderWorkflow.recorded``), over HTTP through gunicorn;
- its steps are sync activities on the worker's thread pool (the project's rule for ORM work): record, reserve
  (local), authorize (regular), delivery, confirm write (local), and the confirmation e-mail's dispatch, started
  beside the order on the e-mail queue;
- it then stays open, waiting for its next command with one durable timer (the authorization's expiry).
What the order costs beyond this is its own work: the services, their statements, the real payloads.

A module of its own (pure), so the worker (bench/noop_worker.py) runs it in the sandbox like the project's
workflows. The confirm write's step appends ``<number> <epoch>`` to a file, so the bench can tell when each one is
"confirmed" as it does for orders (their row's status), without a query to the workflow.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from temporalio import activity, workflow

NOOP_ORDER_QUEUE = "bench-noop-order"
NOOP_ORDER_EMAIL_QUEUE = "bench-noop-order-email"
STEP = {"start_to_close_timeout": timedelta(seconds=10)}
CONFIRM_WRITE = "write"


class NoopOrderSteps:
    """The steps' activity: does nothing, but for the confirm write, which notes the time it "committed"."""

    def __init__(self, confirmed_file: str) -> None:
        self._confirmed_file = confirmed_file
        self._lock = threading.Lock()

    @activity.defn(name="bench.noop_order_step")
    def step(self, name: str, number: str) -> str:
        if name == CONFIRM_WRITE:
            with self._lock, open(self._confirmed_file, "a", encoding="utf-8") as out:
                out.write(f"{number} {time.time()}\n")
        return name


@workflow.defn(name="BenchNoopOrder")
class NoopOrder:
    @workflow.init
    def __init__(self, number: str) -> None:
        self.number = number
        self.recorded_ = False

    @workflow.run
    async def run(self, number: str) -> None:
        await self._step("record", local=True)
        self.recorded_ = True
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._step("reserve", local=True)
        await self._step("authorize", local=False)
        await self._step("delivery", local=True)
        await self._step(CONFIRM_WRITE, local=True)
        email = workflow.start_activity(
            "bench.noop_order_step", args=["email", number], task_queue=NOOP_ORDER_EMAIL_QUEUE, **STEP
        )
        # The order's run loop: no command comes, one timer for the authorization's expiry (7 days).
        await workflow.wait_condition(lambda: False, timeout=timedelta(days=7))
        await email

    @workflow.update
    async def recorded(self, number: str) -> str:
        await workflow.wait_condition(lambda: self.recorded_)
        return self.number

    async def _step(self, name: str, *, local: bool) -> None:
        if local:
            await workflow.execute_local_activity("bench.noop_order_step", args=[name, self.number], **STEP)
        else:
            await workflow.execute_activity("bench.noop_order_step", args=[name, self.number], **STEP)
