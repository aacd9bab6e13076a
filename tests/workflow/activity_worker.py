"""A worker for test workflows defined in test modules, with the project's REAL order-queue activities."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Sequence

from temporalio.client import Client
from temporalio.worker import Worker

from oms_project.workers import ORDER, activity_thread_pool, collect_components, workflow_runner


@contextlib.asynccontextmanager
async def order_activity_worker(
    client: Client, *, workflows: Sequence[type], activities: Sequence[Callable] = ()
) -> AsyncIterator[str]:
    """Run ``workflows`` plus every ORDER-queue activity (and ``activities``) on a fresh task queue."""
    task_queue = f"test-order-{uuid.uuid4().hex[:8]}"
    with activity_thread_pool() as executor:
        worker = Worker(
            client,
            task_queue=task_queue,
            workflows=list(workflows),
            activities=[*collect_components()[ORDER].activities, *activities],
            activity_executor=executor,
            workflow_runner=workflow_runner(),
        )
        async with worker:
            yield task_queue
