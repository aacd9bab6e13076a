"""Temporal payloads, activity names and workflow ids of the webhooks app (pure: no Django)."""

from __future__ import annotations

from dataclasses import dataclass, field

from oms_project.payload_types import resolve_annotations

# Activity names live in workflow histories: never rename.
PUBLISH = "webhooks.publish"
DISPATCH = "webhooks.dispatch"
DELIVER = "webhooks.deliver"
MARK_FAILED = "webhooks.mark_failed"

# ApplicationError types the delivery workflow must not retry.
DELIVERY_GONE = "webhook_delivery_gone"
# Retried (after their own delay, not the policy's backoff): a failed attempt, and an attempt that found its
# partner's delivery slots in this worker taken (not an attempt: nothing was sent, nothing recorded).
ATTEMPT_FAILED = "webhook_attempt_failed"
PARTNER_BUSY = "webhook_partner_busy"


def delivery_workflow_id(delivery_id: int) -> str:
    return f"webhook-delivery-{delivery_id}"


def order_event_dedupe_key(order_number: str, event_type: str) -> str:
    """One event per order and type, however often the order workflow (re)publishes it."""
    return f"{order_number}:{event_type}"


@dataclass(frozen=True)
class PublishInput:
    """What the order workflow hands to ``webhooks.publish``; ``dedupe_key`` makes repeats harmless."""

    partner_id: int | None
    event_type: str
    data: dict
    dedupe_key: str
    # Set by the order workflow instead of ``data``: the activity renders the order body itself at publish time
    # (the workflow never carries the order JSON through its history).
    order_number: str = ""


@dataclass(frozen=True)
class DispatchInput:
    """What a workflow hands to ``webhooks.dispatch`` (on WEBHOOK_TASK_QUEUE) after a write that recorded webhook
    events: start the delivery workflow of each still-pending delivery named here. ``dedupe_keys`` are the events'
    stable ids (``order_event_dedupe_key``), known to the order workflow without asking the write; ``delivery_ids``
    are what ``webhook_event_publish`` returns. Repeat-safe: one workflow id per delivery."""

    delivery_ids: list[int] = field(default_factory=list)
    dedupe_keys: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RetrySchedule:
    """Backoff of one delivery: seconds, so tests can shrink hours to seconds through the workflow input."""

    initial_interval_seconds: float
    backoff: float
    max_interval_seconds: float
    give_up_after_seconds: float
    request_timeout_seconds: float


@dataclass(frozen=True)
class DeliveryWorkflowInput:
    delivery_id: int
    schedule: RetrySchedule


@dataclass(frozen=True)
class DeliverInput:
    delivery_id: int
    schedule: RetrySchedule


@dataclass(frozen=True)
class DeliverResult:
    status_code: int
    attempt_number: int


@dataclass(frozen=True)
class MarkFailedInput:
    delivery_id: int
    reason: str


resolve_annotations(globals())  # types, not strings, for the payload converter (oms_project.payload_types)
