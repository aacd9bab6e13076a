"""Prometheus metrics of the web process (served on /metrics from the default registry).

- ``oms_http_requests_total`` / ``oms_http_request_duration_seconds``: by method, route template and status
  (labels stay low-cardinality: the route pattern, never the path).
- ``oms_temporal_task_queue_*``: backlog, backlog age and pollers of the cart, order and webhook task queues,
  read with ``describe_task_queue`` through ``oms_project.temporal`` at scrape time, cached, short timeout; when
  Temporal is down the gauges are left out and ``oms_temporal_up`` is 0, and /metrics still answers.

The Temporal SDK's own metrics (workflow/activity latency, failures, pollers) come from the worker process:
see ``WORKER_METRICS_ADDRESS`` and docs/observability.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

REQUESTS = Counter(
    "oms_http_requests", "HTTP requests by method, route template and status.", ["method", "route", "status"]
)
LATENCY = Histogram(
    "oms_http_request_duration_seconds",
    "HTTP request latency by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def route_of(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None or match.route is None:
        return "unmatched"
    return "/" + match.route


def observe_request(request: HttpRequest, response: HttpResponse, seconds: float) -> None:
    method = request.method if request.method in _METHODS else "OTHER"
    route = route_of(request)
    REQUESTS.labels(method, route, str(response.status_code)).inc()
    LATENCY.labels(method, route).observe(seconds)


@dataclass(frozen=True)
class QueueStats:
    queue: str  # logical: cart / order / webhook
    task_queue: str
    kind: str  # workflow / activity
    backlog: int
    backlog_age_seconds: float
    pollers: int


def fetch_queue_stats(timeout: float) -> list[QueueStats]:
    """Backlog and pollers of every (queue, task type) pair, in one round of concurrent RPCs."""
    from temporalio.api.enums.v1 import TaskQueueKind, TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    from oms_project import temporal
    from oms_project.workers import QUEUES, task_queue_name

    kinds = {"workflow": TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, "activity": TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY}
    pairs = [(queue, kind) for queue in QUEUES for kind in kinds]

    async def call(client):  # type: ignore[no-untyped-def]
        async def one(queue: str, kind: str) -> QueueStats:
            request = DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=task_queue_name(queue), kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL),
                task_queue_type=kinds[kind],
                report_stats=True,
            )
            response = await client.workflow_service.describe_task_queue(request, timeout=timedelta(seconds=timeout))
            return QueueStats(
                queue=queue,
                task_queue=task_queue_name(queue),
                kind=kind,
                backlog=response.stats.approximate_backlog_count,
                backlog_age_seconds=response.stats.approximate_backlog_age.ToTimedelta().total_seconds(),
                pollers=len(response.pollers),
            )

        return await asyncio.gather(*(one(queue, kind) for queue, kind in pairs))

    return list(temporal.run(call, timeout=timeout + 0.5))


class TaskQueueCollector(Collector):
    """Scrape-time gauges, cached for ``TEMPORAL_METRICS_CACHE_SECONDS`` (failures too, so a dead server costs
    one timeout per cache period, not one per scrape)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at = float("-inf")
        self._stats: list[QueueStats] | None = None

    def _current(self) -> list[QueueStats] | None:
        with self._lock:
            if time.monotonic() - self._at >= settings.TEMPORAL_METRICS_CACHE_SECONDS:
                try:
                    self._stats = fetch_queue_stats(settings.TEMPORAL_METRICS_TIMEOUT_SECONDS)
                except Exception:  # any failure: report "down", never fail the scrape
                    self._stats = None
                self._at = time.monotonic()
            return self._stats

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Called at registration: answer without contacting Temporal.
        return iter(())

    def collect(self) -> Iterator[GaugeMetricFamily]:
        stats = self._current()
        up = GaugeMetricFamily("oms_temporal_up", "1 when the task-queue stats could be read from Temporal.")
        up.add_metric([], 1 if stats is not None else 0)
        yield up
        if stats is None:
            return
        labels = ["queue", "task_queue", "type"]
        backlog = GaugeMetricFamily("oms_temporal_task_queue_backlog", "Approximate tasks waiting.", labels=labels)
        age = GaugeMetricFamily(
            "oms_temporal_task_queue_backlog_age_seconds", "Age of the oldest waiting task.", labels=labels
        )
        pollers = GaugeMetricFamily("oms_temporal_task_queue_pollers", "Workers polling recently.", labels=labels)
        for row in stats:
            values = [row.queue, row.task_queue, row.kind]
            backlog.add_metric(values, row.backlog)
            age.add_metric(values, row.backlog_age_seconds)
            pollers.add_metric(values, row.pollers)
        yield backlog
        yield age
        yield pollers

    def reset(self) -> None:
        with self._lock:
            self._at = float("-inf")


task_queue_collector = TaskQueueCollector()


def register() -> None:
    with contextlib.suppress(ValueError):  # already registered in this process
        REGISTRY.register(task_queue_collector)
