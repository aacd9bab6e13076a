"""The raw ceiling of a cart mutation: a workflow whose update runs one no-op local activity and returns.

A module of its own (pure), so a worker can run it in the sandbox like the project's workflows. The web reaches it
through ``POST /bench/noop-cart/<id>/`` (bench/urls.py) with the cart's own client path
(``temporal.update_with_start(..., running_likely=True)`` on the web's long-lived client and bridge: a plain update
once the workflow runs); bench/noop_worker.py runs it as a process of the stack. What the cart add costs beyond this
is the cart's own work: API key, cart row, validation, pricing, the read model's write.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow

from bench.noop_saga import noop

NOOP_CART_QUEUE = "bench-noop-cart"


@workflow.defn(name="BenchNoopCart")
class NoopCart:
    @workflow.init
    def __init__(self, _: str) -> None:
        self._lock = asyncio.Lock()  # the cart serialises its mutations the same way
        self.count = 0

    @workflow.run
    async def run(self, _: str) -> None:
        await workflow.wait_condition(lambda: False)  # lives as long as the stack, like an open cart

    @workflow.update
    async def add(self, step: int) -> int:
        async with self._lock:
            await workflow.execute_local_activity(noop, step, start_to_close_timeout=timedelta(seconds=10))
            self.count += 1
            return self.count
