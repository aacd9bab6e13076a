"""Which way of calling the asyncio Temporal client from a synchronous Django view is fastest?

Starts a real dev server, then times the same cheap RPC (GetSystemInfo) through three bridges, from one
thread and from 8 threads (what a threaded WSGI worker does). Writes its table to stdout; the result is
recorded in docs/adr/0003-sync-views-temporal-bridge.md.

    .venv/bin/python bench/bridge_bench.py
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms_project.settings")

import django

django.setup()

from asgiref.sync import async_to_sync  # noqa: E402
from django.conf import settings  # noqa: E402
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest  # noqa: E402
from temporalio.client import Client  # noqa: E402

from oms_project import temporal  # noqa: E402
from tests.temporal_env import LoopThread, start_dev_server  # noqa: E402

CALLS = 400


def timed(fn, calls: int, threads: int) -> tuple[float, float, float]:
    def one(_: int) -> float:
        started = time.perf_counter()
        fn()
        return (time.perf_counter() - started) * 1000

    begin = time.perf_counter()
    if threads == 1:
        samples = [one(i) for i in range(calls)]
    else:
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            samples = list(pool.map(one, range(calls)))
    elapsed = time.perf_counter() - begin
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1], calls / elapsed


def main() -> None:
    server_loop = LoopThread("bench-server")
    env = server_loop.run(start_dev_server())
    address = env.client.service_client.config.target_host
    settings.TEMPORAL_ADDRESS = address

    async def rpc(client: Client) -> None:
        await client.workflow_service.get_system_info(GetSystemInfoRequest())

    # (a) one long-lived client on a dedicated event-loop thread (oms_project.temporal)
    def via_bridge() -> None:
        temporal.run(rpc)

    # (b) a fresh event loop and a fresh connection per call (the naive asyncio.run in a view)
    def via_asyncio_run() -> None:
        async def call() -> None:
            await rpc(await Client.connect(address))

        asyncio.run(call())

    # (c) asgiref.async_to_sync with a client cached per thread (a loop per thread, like async_to_sync gives)
    import threading

    local = threading.local()

    async def cached_call() -> None:
        if getattr(local, "client", None) is None:
            local.client = await Client.connect(address)
        await rpc(local.client)

    def via_async_to_sync() -> None:
        async_to_sync(cached_call)()

    print(f"Temporal dev server {address}; {CALLS} GetSystemInfo calls per cell\n")
    print("| bridge | threads | p50 ms | p99 ms | calls/s |")
    print("|---|---|---|---|---|")
    for name, fn, calls in (
        ("dedicated loop thread, one client", via_bridge, CALLS),
        ("async_to_sync, client per thread", via_async_to_sync, CALLS),
        ("asyncio.run + connect per call", via_asyncio_run, CALLS // 8),
    ):
        for threads in (1, 8):
            try:
                p50, p99, rate = timed(fn, calls, threads)
                print(f"| {name} | {threads} | {p50:.2f} | {p99:.2f} | {rate:.0f} |", flush=True)
            except Exception as exc:
                print(f"| {name} | {threads} | failed: {exc.__class__.__name__}: {exc} | | |", flush=True)
    server_loop.run(env.shutdown())


if __name__ == "__main__":
    main()
