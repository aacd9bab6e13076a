"""Real Temporal servers for tests: the dev server in a background loop thread, time-skipping per test."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from typing import Any, TypeVar

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from oms_project import temporal
from oms_project.binaries import temporal_cli_path, temporal_test_server_path
from oms_project.payload_codec import data_converter
from oms_project.workers import EMAIL, QUEUES, WEBHOOK, ActivityPools, build_workers, run_until

T = TypeVar("T")


class LoopThread:
    """An event loop on its own thread, so workers keep running while synchronous tests block."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, fn: Callable[[], Awaitable[T]], timeout: float = 120) -> T:
        async def wrapper() -> T:
            return await fn()

        return self.run(wrapper(), timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)


async def start_dev_server(extra_args: tuple[str, ...] = ()) -> WorkflowEnvironment:
    """A real ``temporal server start-dev`` from the installed binary, loopback only, on a free port."""
    return await WorkflowEnvironment.start_local(
        data_converter=data_converter(),  # TEMPORAL_PAYLOAD_KEYS, as the project's clients
        dev_server_existing_path=temporal_cli_path(),
        ip="127.0.0.1",
        dev_server_log_level="error",
        dev_server_extra_args=["--dynamic-config-value", "history.maxInFlightUpdates=100", *extra_args],
    )


async def start_time_skipping() -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(), test_server_existing_path=temporal_test_server_path()
    )


class RunningWorkers:
    """The project's real workers (every app's workflows and activities) polling until ``stop()``."""

    def __init__(
        self,
        loop: LoopThread,
        client: Client,
        task_queues: dict[str, str] | None = None,
        max_concurrent_activities: int | None = None,
    ) -> None:
        self._loop = loop
        self._stop: asyncio.Event | None = None
        self._pools = ActivityPools(max_concurrent_activities)
        self._max_concurrent_activities = max_concurrent_activities
        self.task_queues = task_queues or {}
        self.workers: list[Worker] = loop.call(self._build(client))
        self._future = loop.submit(self._run())

    def _build(self, client: Client) -> Callable[[], Awaitable[list[Worker]]]:
        async def build() -> list[Worker]:
            self._stop = asyncio.Event()
            return build_workers(
                client,
                task_queues=self.task_queues,
                activity_pools=self._pools,
                max_concurrent_activities=self._max_concurrent_activities,
            )

        return build

    async def _run(self) -> None:
        assert self._stop is not None
        await run_until(self.workers, self._stop)

    def stop(self) -> None:
        stop = self._stop
        if stop is not None:
            self._loop.loop.call_soon_threadsafe(stop.set)
            with contextlib.suppress(Exception):
                self._future.result(timeout=30)
        self._pools.shutdown(wait=False, cancel_futures=True)


@contextlib.asynccontextmanager
async def workers_on(client: Client) -> AsyncIterator[dict[str, str]]:
    """For async tests (time-skipping): the project's workers on fresh, unique task queues in this loop.

    Yields the logical-queue -> task-queue map to start workflows on.
    """
    suffix = uuid.uuid4().hex[:8]
    task_queues = {queue: f"test-{queue}-{suffix}" for queue in QUEUES}
    with ActivityPools() as pools:
        workers = build_workers(client, task_queues=task_queues, activity_pools=pools)
        stop = asyncio.Event()
        runner = asyncio.create_task(run_until(workers, stop))
        try:
            yield task_queues
        finally:
            stop.set()
            await runner


@contextlib.contextmanager
def settings_override(**values: Any) -> Iterator[None]:
    from django.conf import settings

    old = {key: getattr(settings, key) for key in values}
    for key, value in values.items():
        setattr(settings, key, value)
    try:
        yield
    finally:
        for key, value in old.items():
            setattr(settings, key, value)


def on_test_queues(inp: Any, queues: dict[str, str]) -> Any:
    """An order's input (``PlaceOrderInput``) whose webhook and e-mail dispatches go to this test's queues: placement
    reads the real queue names from settings, which no worker of ``workers_on`` polls."""
    return dataclasses.replace(inp, webhook_task_queue=queues[WEBHOOK], email_task_queue=queues[EMAIL])


def workflow_exists(workflow_id: str) -> bool:
    """Whether Temporal knows this workflow id (running or closed), through the project's client."""

    async def call(client: Client) -> bool:
        try:
            await client.get_workflow_handle(workflow_id).describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True

    return temporal.run(call)
