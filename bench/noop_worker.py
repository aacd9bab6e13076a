"""A worker process for the no-op floors (bench/noop_cart.py, bench/noop_order.py), started by run_all.py with
``Stack.spawn`` (so its CPU is the stack's).

python bench/noop_worker.py TEMPORAL_ADDRESS CONFIRMED_FILE
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from temporalio.client import Client
from temporalio.worker import Worker

from bench.noop_cart import NOOP_CART_QUEUE, NoopCart
from bench.noop_order import NOOP_ORDER_EMAIL_QUEUE, NOOP_ORDER_QUEUE, NoopOrder, NoopOrderSteps
from bench.noop_saga import noop

# The project's worker settings (oms_project/settings.py defaults; oms_project/workers.py build_workers): 32
# activity slots, a thread pool of twice that shared by local and regular activities, the e-mail queue's threads
# of its own, 500 cached workflows, a 3 s sticky queue.
SLOTS = 32
OPTIONS = {
    "max_concurrent_activities": SLOTS,
    "max_concurrent_local_activities": SLOTS,
    "max_concurrent_workflow_tasks": SLOTS,
    "max_cached_workflows": 500,
    "sticky_queue_schedule_to_start_timeout": timedelta(seconds=3),
}


async def serve(address: str, confirmed_file: str) -> None:
    client = await Client.connect(address)
    steps = NoopOrderSteps(confirmed_file)
    with (
        concurrent.futures.ThreadPoolExecutor(SLOTS * 2) as order_threads,
        concurrent.futures.ThreadPoolExecutor(SLOTS * 2) as email_threads,
    ):
        workers = [
            Worker(client, task_queue=NOOP_CART_QUEUE, workflows=[NoopCart], activities=[noop]),
            Worker(
                client,
                task_queue=NOOP_ORDER_QUEUE,
                workflows=[NoopOrder],
                activities=[steps.step],
                activity_executor=order_threads,
                **OPTIONS,
            ),
            Worker(
                client,
                task_queue=NOOP_ORDER_EMAIL_QUEUE,
                activities=[steps.step],
                activity_executor=email_threads,
                **OPTIONS,
            ),
        ]
        async with workers[0], workers[1], workers[2]:
            await asyncio.Event().wait()  # until the stack terminates the process


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
