"""A worker process for bench/noop_cart.py, started by run_all.py with ``Stack.spawn`` (so its CPU is the stack's).

python bench/noop_worker.py TEMPORAL_ADDRESS
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from temporalio.client import Client
from temporalio.worker import Worker

from bench.noop_cart import NOOP_CART_QUEUE, NoopCart
from bench.noop_saga import noop


async def serve(address: str) -> None:
    client = await Client.connect(address)
    async with Worker(client, task_queue=NOOP_CART_QUEUE, workflows=[NoopCart], activities=[noop]):
        await asyncio.Event().wait()  # until the stack terminates the process


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1]))
