"""Builds the Temporal workers from what each app declares in its ``worker.py``.

An app that owns a process adds ``<app>/worker.py`` with ``COMPONENTS = [WorkerComponents(...)]``;
``run_workers`` and the test fixtures pick it up, so a new workflow never touches this module.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import logging
import py_compile
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from oms_project import payload_codec
from oms_project.observability import LogContextInterceptor

log = logging.getLogger(__name__)

CART = "cart"
ORDER = "order"
WEBHOOK = "webhook"
EMAIL = "email"
QUEUES = (CART, ORDER, WEBHOOK, EMAIL)


@dataclass(frozen=True)
class WorkerComponents:
    queue: str  # CART, ORDER, WEBHOOK or EMAIL: the logical queue; settings map it to the real task queue name
    workflows: Sequence[type] = ()
    activities: Sequence[Callable] = ()


@dataclass
class QueueComponents:
    workflows: list[type] = field(default_factory=list)
    activities: list[Callable] = field(default_factory=list)


def task_queue_name(queue: str) -> str:
    return {
        CART: settings.CART_TASK_QUEUE,
        ORDER: settings.ORDER_TASK_QUEUE,
        WEBHOOK: settings.WEBHOOK_TASK_QUEUE,
        EMAIL: settings.EMAIL_TASK_QUEUE,
    }[queue]


def collect_components() -> dict[str, QueueComponents]:
    """Everything the installed apps declare, grouped by logical queue."""
    collected = {queue: QueueComponents() for queue in QUEUES}
    for app_config in apps.get_app_configs():
        module_name = f"{app_config.name}.worker"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        for component in getattr(module, "COMPONENTS", ()):
            target = collected[component.queue]
            target.workflows.extend(w for w in component.workflows if w not in target.workflows)
            target.activities.extend(a for a in component.activities if a not in target.activities)
    return collected


def workflow_runner() -> WorkflowRunner:
    if settings.WORKER_WORKFLOW_RUNNER == "unsandboxed":
        # Workflow modules import only pure code; without the sandbox each activation skips re-importing
        # and proxying modules (a few ms per workflow task). Determinism is then on review and replay tests.
        return UnsandboxedWorkflowRunner()
    # Workflow modules import only pure code (contracts, domain); Django and the apps pass through so that
    # the occasional type import under imports_passed_through() is not re-imported in the sandbox.
    restrictions = SandboxRestrictions.default.with_passthrough_modules("django", "environ", "oms_project")
    return SandboxedWorkflowRunner(restrictions=restrictions)


def replayer(workflows: Sequence[type]) -> Replayer:
    """Replays stored histories with what the workers run: the same workflow runner and payload codec (workers
    get the codec from their client, ``oms_project.temporal.connect``)."""
    return Replayer(
        workflows=workflows, workflow_runner=workflow_runner(), data_converter=payload_codec.data_converter()
    )


def cache_workflow_bytecode(workflows: Sequence[type]) -> None:
    """Write the ``.pyc`` of each workflow's module once. The sandboxed runner imports a workflow's module afresh
    for every new workflow run; with bytecode writing off (``PYTHONDONTWRITEBYTECODE``, usual in containers) each
    of those imports compiled the source again, about a fifth of the worker's CPU per order (docs/benchmarks.md
    "Optimisations"). Python still reads a ``.pyc`` when it may not write one. A read-only tree only loses the
    saving."""
    if not sys.dont_write_bytecode:
        return  # the first import writes it
    for module_name in sorted({workflow.__module__ for workflow in workflows}):
        path = getattr(sys.modules.get(module_name), "__file__", None)
        if not path or not path.endswith(".py"):
            continue
        try:
            py_compile.compile(path, doraise=True)
        except (OSError, py_compile.PyCompileError) as exc:
            log.info("Could not cache the bytecode of %s (%s); the sandbox compiles it per workflow run", path, exc)


def build_workers(
    client: Client,
    *,
    queues: Sequence[str] = QUEUES,
    task_queues: dict[str, str] | None = None,
    activity_pools: ActivityPools,
    max_concurrent_activities: int | None = None,
    max_concurrent_workflow_tasks: int | None = None,
) -> list[Worker]:
    """One worker per logical queue; the webhook queue's activities run on threads of their own
    (``ActivityPools``). ``task_queues`` overrides names (tests use a unique queue per run)."""
    components = collect_components()
    workers = []
    for queue in queues:
        parts = components[queue]
        if not parts.workflows and not parts.activities:
            log.warning("No workflows or activities registered for the %s queue", queue)
            continue
        if settings.WORKER_WORKFLOW_RUNNER != "unsandboxed":
            cache_workflow_bytecode(parts.workflows)
        workers.append(
            Worker(
                client,
                task_queue=(task_queues or {}).get(queue) or task_queue_name(queue),
                workflows=parts.workflows,
                activities=parts.activities,
                activity_executor=activity_pools.for_queue(queue),
                workflow_runner=workflow_runner(),
                max_concurrent_activities=max_concurrent_activities or settings.WORKER_MAX_CONCURRENT_ACTIVITIES,
                max_concurrent_local_activities=max_concurrent_activities or settings.WORKER_MAX_CONCURRENT_ACTIVITIES,
                max_concurrent_workflow_tasks=max_concurrent_workflow_tasks
                or settings.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
                max_cached_workflows=settings.WORKER_MAX_CACHED_WORKFLOWS,
                sticky_queue_schedule_to_start_timeout=settings.WORKER_STICKY_TIMEOUT,
                graceful_shutdown_timeout=settings.WORKER_GRACEFUL_SHUTDOWN,
                # Tracing (OTEL_ENABLED) comes with the client from oms_project.temporal.connect().
                interceptors=[LogContextInterceptor()],
            )
        )
    return workers


def activity_thread_pool(
    max_workers: int | None = None, *, name: str = "activity"
) -> concurrent.futures.ThreadPoolExecutor:
    size = max_workers or settings.WORKER_MAX_CONCURRENT_ACTIVITIES
    # Local and regular activities share the pool, so it holds both limits.
    return concurrent.futures.ThreadPoolExecutor(max_workers=size * 2, thread_name_prefix=name)


# Queues whose activities wait on the outside world get threads of their own in a shared worker process.
OWN_THREADS = frozenset({WEBHOOK, EMAIL})
SHARED = "shared"


class ActivityPools:
    """The activity thread pools of a worker process: one each for the webhook and e-mail queues (they wait on
    receivers and mail servers), one shared by cart and order.

    Slots are per worker, but threads were shared: webhook attempts blocked on a slow receiver could take the
    threads the order's payment activities needed (issue #20). Cart and order keep sharing one pool as before,
    so their threads, and the database connections those hold, stay within the same budget. Threads start on
    demand, so an idle queue costs none. Closes like the executor it replaces.
    """

    def __init__(self, max_workers: int | None = None) -> None:
        self._max_workers = max_workers
        self._pools: dict[str, concurrent.futures.ThreadPoolExecutor] = {}

    def for_queue(self, queue: str) -> concurrent.futures.ThreadPoolExecutor:
        key = queue if queue in OWN_THREADS else SHARED
        if key not in self._pools:
            self._pools[key] = activity_thread_pool(self._max_workers, name=f"activity-{key}")
        return self._pools[key]

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    def __enter__(self) -> ActivityPools:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()


async def run_until(workers: Sequence[Worker], stop: asyncio.Event) -> None:
    """Run workers until ``stop`` is set, then shut them down gracefully (in-flight activities finish)."""
    tasks = [asyncio.create_task(worker.run()) for worker in workers]
    stop_task = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([*tasks, stop_task], return_when=asyncio.FIRST_COMPLETED)
    for task in done:
        if task is not stop_task and task.exception():
            log.error("A worker stopped with an error", exc_info=task.exception())
    await asyncio.gather(*(worker.shutdown() for worker in workers), return_exceptions=True)
    await asyncio.gather(*tasks, return_exceptions=True)
    stop_task.cancel()


def sdk_metrics_runtime(bind_address: str) -> Runtime:
    """A Temporal runtime whose Rust core serves the SDK metrics (workflow/activity latency, failures, pollers,
    slots) in Prometheus format on ``bind_address`` (``host:port``); clients connected with it report there."""
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address)))
