"""What the order processes (orders/workflows.py and the frozen orders/workflows_v1.py) share: the retry and timeout
policies of their steps, which failures are business answers, and the timeline event of each compensation.

Pure (workflows import it through ``imports_passed_through``). Timeouts and retry policies are not part of a
history's commands, so changing one here changes running orders' next attempts, never their replay.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

from notifications.contracts import DISPATCH as EMAIL_DISPATCH
from notifications.contracts import DispatchInput as EmailDispatchInput
from orders.domain import FailureReason
from webhooks.contracts import DISPATCH, DispatchInput

# Database steps: retried (transient faults) until they succeed; a DomainError comes back non-retryable.
LOCAL_STEP: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=15),
    "retry_policy": RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=5)),
}
# The payment provider: transient failures retry with backoff; a decline is non-retryable. After ten minutes
# without an answer the order fails and the void compensation makes sure nothing stays authorized.
PAYMENT_STEP: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "schedule_to_close_timeout": timedelta(minutes=10),
    "heartbeat_timeout": timedelta(seconds=10),  # a killed worker's attempt is retried after this, not 30 s
    "retry_policy": RetryPolicy(initial_interval=timedelta(milliseconds=500), maximum_interval=timedelta(seconds=10)),
}
# Capture at shipment: retried with backoff until the PSP answers; only a refusal (non-retryable) ends it.
CAPTURE_STEP: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(initial_interval=timedelta(milliseconds=500), maximum_interval=timedelta(seconds=30)),
}

BUSINESS_FAILURES = {
    FailureReason.INSUFFICIENT_STOCK.value,
    FailureReason.PAYMENT_DECLINED.value,
    FailureReason.VOUCHER_EXHAUSTED.value,
    FailureReason.VOUCHER_INVALID.value,
}

# Timeline event written when each step's compensation has run.
COMPENSATION_EVENTS = {
    "reserve_stock": "stock_released",
    "authorize_payment": "payment_voided",
    "request_delivery": "delivery_cancelled",
    "capture_payment": "payment_refunded",
    "fulfil_stock": "stock_restocked",
    "redeem_voucher": "voucher_released",
}


def root_cause(error: FailureError) -> FailureError:
    """The activity's own failure inside Temporal's ActivityError wrapper (a local activity's may come unwrapped)."""
    return error.cause if isinstance(error, ActivityError) and isinstance(error.cause, FailureError) else error


def failure_reason(error: FailureError) -> str:
    """The order's ``failure_reason`` for a failed step: the business answer it carried, else ``step_failed``."""
    cause = root_cause(error)
    if isinstance(cause, ApplicationError) and cause.type in BUSINESS_FAILURES:
        return cause.type
    return FailureReason.STEP_FAILED


# Starting webhook deliveries and e-mails: beside the process (awaited only before its workflow ends), gives up
# after an hour, so a webhook or mail problem never holds an order or a return back.
DISPATCH_STEP: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "schedule_to_close_timeout": timedelta(hours=1),
    "retry_policy": RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)),
}


def start_dispatches(
    *, delivery_ids: list[int], email_ids: list[int], webhook_task_queue: str, email_task_queue: str
) -> list[Any]:
    """Start what a write recorded (webhook deliveries, e-mails), each on its own queue, from workflow code: the
    order process and the return process (their writes return the ids, the workflow starts them)."""
    started = []
    if delivery_ids:
        started.append(
            workflow.start_activity(
                DISPATCH,
                DispatchInput(delivery_ids=delivery_ids),
                task_queue=webhook_task_queue or None,
                **DISPATCH_STEP,
            )
        )
    if email_ids:
        started.append(
            workflow.start_activity(
                EMAIL_DISPATCH,
                EmailDispatchInput(email_ids=email_ids),
                task_queue=email_task_queue or None,
                **DISPATCH_STEP,
            )
        )
    return started
