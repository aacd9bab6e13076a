"""A worker for test workflows defined in test modules, with the project's REAL order-queue activities."""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.db import connections
from temporalio.client import Client
from temporalio.worker import Worker

from oms_project.workers import ORDER, collect_components, workflow_runner

THREADS = 8
P = ParamSpec("P")
R = TypeVar("R")


def close_thread_connections(executor: concurrent.futures.ThreadPoolExecutor, threads: int = THREADS) -> None:
    """Close the DB connection every pool thread holds (CONN_MAX_AGE keeps them open), so the test database
    can be dropped at the end of the run. The barrier makes each thread run exactly one of the tasks."""
    barrier = threading.Barrier(threads)

    def close() -> None:
        barrier.wait(timeout=30)
        connections.close_all()

    list(executor.map(lambda _: close(), range(threads)))


@contextlib.asynccontextmanager
async def order_activity_worker(
    client: Client, *, workflows: Sequence[type], activities: Sequence[Callable] = ()
) -> AsyncIterator[str]:
    """Run ``workflows`` plus every ORDER-queue activity (and ``activities``) on a fresh task queue."""
    task_queue = f"test-order-{uuid.uuid4().hex[:8]}"
    with concurrent.futures.ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="test-activity") as executor:
        worker = Worker(
            client,
            task_queue=task_queue,
            workflows=list(workflows),
            activities=[*collect_components()[ORDER].activities, *activities],
            activity_executor=executor,
            workflow_runner=workflow_runner(),
        )
        try:
            async with worker:
                yield task_queue
        finally:
            close_thread_connections(executor)


def db_call(fn: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """``sync_to_async`` for ORM calls from async tests, closing the connection afterwards (asgiref's thread
    would otherwise keep it open past the end of the run and block dropping the test database)."""

    @functools.wraps(fn)
    def closing(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        finally:
            connections.close_all()

    return sync_to_async(closing)
