"""Reads for the back office: the live workflow state of an order, task-queue health and the dashboard.

Temporal is asked only where the issue wants live process state (one order's detail page, queue health);
everything else reads the order read model.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from temporalio.api.enums.v1 import TaskQueueKind, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

from oms_project import temporal
from oms_project.errors import DomainError, NotFound
from oms_project.money import quantize
from orders.contracts import QUERY_PROGRESS, OrderProgress, order_workflow_id
from orders.domain import Status
from orders.models import Order
from returns.domain import AWAITING_ACTION, ReturnStatus
from returns.models import GoodwillRefund, Return
from webhooks.models import WebhookDelivery

log = logging.getLogger(__name__)

LIVE_STATE_TIMEOUT = 5.0  # seconds: a detail page must not hang on a slow or absent Temporal
# A compensation that started this long ago without the order reaching failed / cancelled is reported as stuck
# (the saga retries it forever; its last error is on the order's detail page).
COMPENSATION_STUCK_AFTER = timedelta(minutes=5)
COMPENSATION_START_EVENTS = ("step_failed", "cancel_requested")
REVENUE_STATUSES = (Status.CONFIRMED, Status.SHIPPED, Status.DELIVERED)


def temporal_ui_url(number: str) -> str:
    base = settings.TEMPORAL_UI_URL.rstrip("/")
    return f"{base}/namespaces/{settings.TEMPORAL_NAMESPACE}/workflows/{order_workflow_id(number)}"


@dataclass
class PendingActivity:
    activity: str
    attempt: int
    last_failure: str


@dataclass
class WorkflowState:
    """What the detail page shows about the order's workflow. ``error`` set means Temporal did not answer."""

    workflow_id: str
    ui_url: str
    execution_status: str = ""  # RUNNING, COMPLETED, FAILED, ...
    running: bool = False
    progress: OrderProgress | None = None
    pending_activities: list[PendingActivity] = field(default_factory=list)
    error: str = ""


def order_workflow_state(*, number: str, timeout: float = LIVE_STATE_TIMEOUT) -> WorkflowState:
    """Describe the workflow (cheap, no replay); query its progress only while it runs.

    A query on a closed workflow replays its whole history, so for a closed one the page shows the read model.
    Never raises: an unreachable Temporal or a missing workflow becomes ``error``.
    """
    workflow_id = order_workflow_id(number)
    state = WorkflowState(workflow_id=workflow_id, ui_url=temporal_ui_url(number))

    async def call(client: Any) -> None:
        handle = client.get_workflow_handle(workflow_id)
        description = await handle.describe(rpc_timeout=timedelta(seconds=timeout))
        state.execution_status = description.status.name if description.status else "UNKNOWN"
        state.running = state.execution_status == "RUNNING"
        for pending in description.raw_description.pending_activities:
            failure = pending.last_failure.message if pending.HasField("last_failure") else ""
            state.pending_activities.append(PendingActivity(pending.activity_type.name, pending.attempt, failure))
        if state.running:
            state.progress = await handle.query(
                QUERY_PROGRESS, result_type=OrderProgress, rpc_timeout=timedelta(seconds=timeout)
            )

    try:
        temporal.run(call, timeout=timeout * 2 + 1)
    except NotFound:
        state.error = f"Temporal has no workflow {workflow_id} (it may have been removed by retention)."
    except DomainError as exc:
        state.error = f"Temporal is unavailable: {exc.message}"
    except Exception as exc:  # the detail page must render whatever the workflow service does
        log.warning("workflow state of %s unavailable: %s", workflow_id, exc)
        state.error = f"The workflow state could not be read: {exc}"
    return state


@dataclass
class QueueHealth:
    queue: str
    kind: str  # "workflow" | "activity"
    pollers: int
    last_poll: datetime | None
    backlog: int | None
    backlog_age_seconds: float | None


@dataclass
class TaskQueueReport:
    queues: list[QueueHealth]
    error: str = ""


def task_queue_health(*, timeout: float = 3.0) -> TaskQueueReport:
    """Pollers and backlog of the CART, ORDER and WEBHOOK task queues (workflow and activity tasks)."""
    names = [settings.CART_TASK_QUEUE, settings.ORDER_TASK_QUEUE, settings.WEBHOOK_TASK_QUEUE]
    kinds = [("workflow", TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW), ("activity", TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)]

    async def describe(client: Any, name: str, kind: str, queue_type: int) -> QueueHealth:
        request = DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=name, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL),
            task_queue_type=queue_type,
            report_stats=True,
        )
        response = await client.workflow_service.describe_task_queue(request, timeout=timedelta(seconds=timeout))
        last_polls = [p.last_access_time.ToDatetime(tzinfo=UTC) for p in response.pollers]
        has_stats = response.HasField("stats")
        return QueueHealth(
            queue=name,
            kind=kind,
            pollers=len(response.pollers),
            last_poll=max(last_polls) if last_polls else None,
            backlog=response.stats.approximate_backlog_count if has_stats else None,
            backlog_age_seconds=response.stats.approximate_backlog_age.ToTimedelta().total_seconds()
            if has_stats
            else None,
        )

    async def call(client: Any) -> list[QueueHealth]:
        return list(await asyncio.gather(*(describe(client, name, kind, qt) for name in names for kind, qt in kinds)))

    try:
        return TaskQueueReport(queues=temporal.run(call, timeout=timeout + 2))
    except DomainError as exc:
        return TaskQueueReport(queues=[], error=f"Temporal is unavailable: {exc.message}")
    except Exception as exc:  # shown on the dashboard, never a 500
        log.warning("task queue health unavailable: %s", exc)
        return TaskQueueReport(queues=[], error=f"Task queues could not be described: {exc}")


@dataclass
class Dashboard:
    today_start: datetime
    week_start: datetime
    status_rows: list[dict[str, Any]]  # status, today, week
    revenue_rows: list[dict[str, Any]]  # currency, today, week
    stuck_compensations: list[Order]
    failing_webhooks: dict[str, int]  # failed, retrying
    failed_webhook_deliveries: list[WebhookDelivery]
    sla_flagged: list[Order]
    sla_flagged_count: int
    refund_rows: list[dict[str, Any]] = field(default_factory=list)  # currency, week (refunded this week)
    returns_awaiting: dict[str, int] = field(default_factory=dict)  # requested, approved (staff act on them)

    @property
    def orders_today(self) -> int:
        return sum(row["today"] for row in self.status_rows)

    @property
    def orders_this_week(self) -> int:
        return sum(row["week"] for row in self.status_rows)


def _period_starts(now: datetime) -> tuple[datetime, datetime]:
    local = timezone.localtime(now)
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return today, today - timedelta(days=today.weekday())


def stuck_compensations(*, now: datetime | None = None) -> QuerySet[Order]:
    """Orders whose compensations began (a step failed, or a cancel started) but never finished."""
    cutoff = (now or timezone.now()) - COMPENSATION_STUCK_AFTER
    return (
        Order.objects.exclude(status__in=[Status.FAILED, Status.CANCELLED])
        .filter(events__type__in=COMPENSATION_START_EVENTS, events__at__lt=cutoff)
        .distinct()
    )


def dashboard_data(*, now: datetime | None = None, list_limit: int = 20) -> Dashboard:
    now = now or timezone.now()
    today, week = _period_starts(now)
    this_week = Order.objects.filter(created_at__gte=week)
    status_counts = {
        row["status"]: row
        for row in this_week.values("status").annotate(
            today=Count("id", filter=Q(created_at__gte=today)), week=Count("id")
        )
    }
    status_rows = [
        {
            "status": s.value,
            "today": status_counts.get(s, {}).get("today", 0),
            "week": status_counts.get(s, {}).get("week", 0),
        }
        for s in Status
    ]
    revenue_rows = [
        {**row, "today": quantize(row["today"], row["currency"]), "week": quantize(row["week"], row["currency"])}
        for row in this_week.filter(status__in=REVENUE_STATUSES)
        .values("currency")
        .annotate(today=Sum("total", filter=Q(created_at__gte=today), default=Decimal(0)), week=Sum("total"))
        .order_by("currency")
    ]
    deliveries = WebhookDelivery.objects.aggregate(
        failed=Count("id", filter=Q(status=WebhookDelivery.Status.FAILED)),
        retrying=Count("id", filter=Q(status=WebhookDelivery.Status.PENDING, attempt_count__gt=0)),
    )
    failed_deliveries = list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.FAILED)
        .select_related("event", "endpoint__partner")
        .order_by("-updated_at")[:list_limit]
    )
    # Returns in one query (per currency: refunded this week, and how many wait for staff), goodwill in another.
    refunds: dict[str, Decimal] = {}
    awaiting = dict.fromkeys(sorted(AWAITING_ACTION), 0)
    for row in (
        Return.objects.values("currency")
        .annotate(
            refunded=Sum(
                "refunded_amount", filter=Q(status=ReturnStatus.REFUNDED, updated_at__gte=week), default=Decimal(0)
            ),
            **{status.value: Count("pk", filter=Q(status=status)) for status in AWAITING_ACTION},
        )
        .order_by()
    ):
        if row["refunded"]:
            refunds[row["currency"]] = row["refunded"]
        for status in AWAITING_ACTION:
            awaiting[status] += row[status.value]
    for currency, amount in GoodwillRefund.objects.filter(refunded_at__gte=week).values_list("currency", "amount"):
        refunds[currency] = refunds.get(currency, Decimal(0)) + amount
    gross = {row["currency"]: row["week"] for row in revenue_rows}
    refund_rows = [
        {
            "currency": currency,
            "week": quantize(amount, currency),
            "net": quantize(gross.get(currency, 0) - amount, currency),
        }
        for currency, amount in sorted(refunds.items())
    ]
    # The workflow's SLA timer sets the flag; the next status change clears it.
    flagged = Order.objects.exclude(sla_breached_status="")
    return Dashboard(
        today_start=today,
        week_start=week,
        status_rows=status_rows,
        revenue_rows=revenue_rows,
        stuck_compensations=list(stuck_compensations(now=now).order_by("created_at")[:list_limit]),
        failing_webhooks=deliveries,
        failed_webhook_deliveries=failed_deliveries,
        sla_flagged=list(flagged.order_by("sla_breached_at", "pk")[:list_limit]),
        sla_flagged_count=flagged.count(),
        refund_rows=refund_rows,
        returns_awaiting={str(status): count for status, count in awaiting.items()},
    )
