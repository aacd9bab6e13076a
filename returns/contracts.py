"""Payloads, activity names and workflow ids of the return process (no Django: the workflow imports it).

Money travels as decimal strings. Activity names are fixed strings: histories hold them, never rename one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from temporalio.exceptions import ApplicationError

from oms_project.payload_types import resolve_annotations

RETURN_RECORD = "return.record"  # the row, written by the workflow's first activity (idempotent upsert)
RETURN_WRITE = "return.write"  # a status change + the return's and the order's timeline + outbox, one transaction
RETURN_RECEIVE = "return.receive"  # received quantities, restock flags and refund amounts, under the order's lock
RETURN_RESTOCK = "return.restock"  # the stock ledger: restocked units back on hand, the others written off
RETURN_REFUND = "return.refund"  # payments v2: refund the return's amount with its own idempotency key

RETURN_WORKFLOW = "ReturnProcess"
UPDATE_RECORDED = "recorded"
UPDATE_APPROVE = "approve"
UPDATE_REJECT = "reject"
UPDATE_RECEIVE = "receive"
UPDATE_CANCEL = "cancel"
QUERY_PROGRESS = "progress"

# Webhook event types of returns (webhooks.domain lists them).
RETURN_REQUESTED = "return.requested"
RETURN_APPROVED = "return.approved"
RETURN_REJECTED = "return.rejected"
RETURN_REFUNDED = "return.refunded"
ORDER_UPDATED = "order.updated"


def return_workflow_id(return_id: str) -> str:
    return f"return-{return_id}"


def activity_key(workflow_id: str, step: str) -> str:
    """The idempotency key of one step of one return (the same on every retry and replay)."""
    return f"{workflow_id}:{step}"


@dataclass
class ReturnLineInput:
    sku: str
    quantity: int


@dataclass
class RequestReturnInput:
    """Everything the return process needs; checked by the service before the workflow starts, and again (with
    the order row locked) by the record activity."""

    return_id: str
    order_number: str
    lines: list[ReturnLineInput]
    reason: str
    note: str
    actor: str
    requested_at: str  # ISO 8601
    delivered_at: str  # ISO 8601: when the order was delivered (the window counts from it)
    window_days: float  # RETURN_WINDOW_DAYS at request time (the workflow stays deterministic)
    receive_days: float  # RETURN_RECEIVE_DAYS at request time
    webhook_task_queue: str = ""
    email_task_queue: str = ""


@dataclass
class StepInput:
    """approve / reject / cancel: who asks, and why (reject's reason is required)."""

    actor: str
    reason: str = ""


@dataclass
class ReceivedLine:
    sku: str
    quantity: int
    restock: bool = True


@dataclass
class ReceiveInput:
    actor: str
    lines: list[ReceivedLine] = field(default_factory=list)  # empty: every requested unit, restocked


@dataclass
class ReturnWriteInput:
    """One write of the return process: an optional status change and fields, the return's timeline event, the
    order's timeline event (its e-mail hangs on it) and the webhook events, in one transaction, at most once."""

    return_id: str
    idempotency_key: str
    actor: str
    at: str  # workflow time (ISO 8601)
    event_type: str
    data: dict[str, Any] = field(default_factory=dict)
    status: str | None = None
    order_event: str = ""  # the order timeline event type ("return_approved", ...), "" for none
    publish: list[str] = field(default_factory=list)  # return.* and order.updated
    reject_reason: str | None = None
    receive_deadline: str | None = None  # ISO 8601
    refunded_amount: str | None = None
    pending_action: str | None = None  # "" clears it


@dataclass
class ReceiveStepInput:
    return_id: str
    idempotency_key: str
    at: str
    receive: ReceiveInput


@dataclass
class ReturnStepInput:
    """restock / refund: they act on what the return row says (received lines, refund amount)."""

    return_id: str
    idempotency_key: str


@dataclass
class RefundResult:
    amount: str  # what this return refunded ("0.00" when nothing was left to refund)
    currency: str
    capped: bool = False  # less than the return's share: a goodwill refund had taken part of the capture


@dataclass
class WriteResult:
    """What a write recorded that the workflow starts: webhook deliveries and customer e-mails."""

    delivery_ids: list[int] = field(default_factory=list)
    email_ids: list[int] = field(default_factory=list)


@dataclass
class ReturnProgress:
    return_id: str
    status: str
    step: str
    pending_action: str
    receive_deadline: str  # ISO 8601 once approved, else ""
    pending_commands: list[str] = field(default_factory=list)


def business_error(code: str, message: str, field_name: str | None = None) -> ApplicationError:
    """A non-retryable refusal shaped like ``DomainError.as_payload`` so the client bridge rebuilds it."""
    payload = {"code": code, "message": message, "field": field_name, "details": {}}
    return ApplicationError(message, payload, type=code, non_retryable=True)


resolve_annotations(globals())  # types, not strings, for the payload converter (oms_project.payload_types)
