"""Webhook activities: publishing (old order histories), dispatching deliveries, one delivery attempt, marking a
failure."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from oms_project.activities import orm_activity
from orders.bodies import order_body
from webhooks import contracts, domain, services


@activity.defn(name=contracts.PUBLISH)
@orm_activity
def webhooks_publish(inp: contracts.PublishInput) -> list[int]:
    """Idempotent by ``inp.dedupe_key``; only starts delivery workflows, so it is quick whatever receivers do."""
    data = order_body(inp.order_number) if inp.order_number and inp.partner_id is not None else inp.data
    return services.webhook_event_publish(
        partner_id=inp.partner_id, event_type=inp.event_type, data=data, dedupe_key=inp.dedupe_key
    )


@activity.defn(name=contracts.DISPATCH)
@orm_activity
def webhooks_dispatch(inp: contracts.DispatchInput) -> list[int]:
    """Start the deliveries a write recorded (the write itself never calls Temporal). Idempotent: one workflow id
    per delivery, and only pending deliveries start; returns the delivery ids started or attached to."""
    return services.webhook_deliveries_start(delivery_ids=inp.delivery_ids, dedupe_keys=inp.dedupe_keys)


def _busy_retry_delay() -> timedelta:
    """The partner's wait for a free slot, spread by up to half again so bounced attempts do not return in step."""
    base = settings.WEBHOOK_PARTNER_BUSY_RETRY.total_seconds()
    return timedelta(seconds=base * (1 + secrets.randbelow(500) / 1000))


@activity.defn(name=contracts.DELIVER)
@orm_activity
def webhooks_deliver(inp: contracts.DeliverInput) -> contracts.DeliverResult:
    info = activity.info()
    schedule = inp.schedule
    run_key = f"{info.workflow_id}:{info.workflow_run_id}"
    # The backoff counts the attempts this run made, not Temporal's attempt number, which bounces raise too.
    number = services.webhook_attempts_made(delivery_id=inp.delivery_id, run_key=run_key) + 1
    wait = domain.retry_interval_seconds(
        attempt=number,
        initial=schedule.initial_interval_seconds,
        backoff=schedule.backoff,
        maximum=schedule.max_interval_seconds,
    )
    try:
        attempt = services.webhook_delivery_attempt(
            delivery_id=inp.delivery_id,
            # One row per execution of this activity: a repeated execution never double-counts.
            idempotency_key=f"{run_key}:{contracts.DELIVER}:{info.attempt}",
            timeout=schedule.request_timeout_seconds,
            next_attempt_at=timezone.now() + timedelta(seconds=wait),
        )
    except services.DeliveryGone as exc:
        raise ApplicationError(str(exc), type=contracts.DELIVERY_GONE, non_retryable=True) from exc
    except services.PartnerBusy as exc:
        # Gives the activity slot back at once; benign: logged at debug, not counted as a failure in metrics.
        raise ApplicationError(
            str(exc),
            type=contracts.PARTNER_BUSY,
            next_retry_delay=_busy_retry_delay(),
            category=ApplicationErrorCategory.BENIGN,
        ) from exc
    except services.DeliveryAttemptFailed as exc:
        raise ApplicationError(
            str(exc), type=contracts.ATTEMPT_FAILED, next_retry_delay=timedelta(seconds=wait)
        ) from exc
    if attempt is None:
        return contracts.DeliverResult(status_code=0, attempt_number=0)
    return contracts.DeliverResult(status_code=attempt.status_code or 0, attempt_number=attempt.number)


@activity.defn(name=contracts.MARK_FAILED)
@orm_activity
def webhooks_mark_failed(inp: contracts.MarkFailedInput) -> None:
    services.webhook_delivery_mark_failed(delivery_id=inp.delivery_id, reason=inp.reason)
