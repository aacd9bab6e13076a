"""Webhook activities: publishing (called by the order workflow), one delivery attempt, marking a failure."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from temporalio import activity
from temporalio.exceptions import ApplicationError

from oms_project.activities import orm_activity
from webhooks import contracts, domain, services


@activity.defn(name=contracts.PUBLISH)
@orm_activity
def webhooks_publish(inp: contracts.PublishInput) -> list[int]:
    """Idempotent by ``inp.dedupe_key``; only starts delivery workflows, so it is quick whatever receivers do."""
    data = inp.data
    if inp.order_number and inp.partner_id is not None:
        from orders.api.views import order_body

        data = order_body(inp.order_number)
    return services.webhook_event_publish(
        partner_id=inp.partner_id, event_type=inp.event_type, data=data, dedupe_key=inp.dedupe_key
    )


@activity.defn(name=contracts.DELIVER)
@orm_activity
def webhooks_deliver(inp: contracts.DeliverInput) -> contracts.DeliverResult:
    info = activity.info()
    schedule = inp.schedule
    wait = domain.retry_interval_seconds(
        attempt=info.attempt,
        initial=schedule.initial_interval_seconds,
        backoff=schedule.backoff,
        maximum=schedule.max_interval_seconds,
    )
    try:
        attempt = services.webhook_delivery_attempt(
            delivery_id=inp.delivery_id,
            # One row per execution of this activity: a repeated execution never double-counts.
            idempotency_key=f"{info.workflow_id}:{info.workflow_run_id}:{contracts.DELIVER}:{info.attempt}",
            timeout=schedule.request_timeout_seconds,
            next_attempt_at=timezone.now() + timedelta(seconds=wait),
        )
    except services.DeliveryGone as exc:
        raise ApplicationError(str(exc), type=contracts.DELIVERY_GONE, non_retryable=True) from exc
    if attempt is None:
        return contracts.DeliverResult(status_code=0, attempt_number=0)
    return contracts.DeliverResult(status_code=attempt.status_code or 0, attempt_number=attempt.number)


@activity.defn(name=contracts.MARK_FAILED)
@orm_activity
def webhooks_mark_failed(inp: contracts.MarkFailedInput) -> None:
    services.webhook_delivery_mark_failed(delivery_id=inp.delivery_id, reason=inp.reason)
