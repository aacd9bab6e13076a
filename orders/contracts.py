"""Payloads, activity names and workflow ids of the order process. Pure: workflows import it.

Money travels as decimal strings (the default data converter does not handle Decimal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from temporalio.exceptions import ApplicationError

from oms_project.payload_types import resolve_annotations
from payments.contracts import PaymentResult

# Activity names are fixed strings: workflow histories hold them, so never rename one.
ORDER_RECORD = "order.record"
ORDER_APPLY = "order.apply"  # orders of OrderWorkflowV1: the write also starts its webhook deliveries
ORDER_WRITE = "order.write"  # the order process: the write returns its deliveries, the workflow dispatches them
DELIVERY_REQUEST = "delivery.request"
DELIVERY_CANCEL = "delivery.cancel"


# The order process (orders/workflows.py) and its messages, by name: services reach it through
# oms_project.temporal without importing workflow code. Orders started before it run the type "OrderWorkflow"
# (orders/workflows_v1.py), which answers the same update names.
ORDER_WORKFLOW = "OrderProcess"
UPDATE_RECORDED = "recorded"
UPDATE_CANCEL = "cancel"
UPDATE_SHIP = "ship"
UPDATE_DELIVERY_EVENT = "delivery_event"
UPDATE_CHANGE_DELIVERY = "change_delivery"
UPDATE_EDIT = "edit"
QUERY_PROGRESS = "progress"

# Each shipment is a child workflow of its order (docs/adr/0120-shipments-as-child-workflows.md).
SHIPMENT_WORKFLOW = "ShipmentProcess"
SIGNAL_SHIPMENT_REPORT = "shipment_report"  # shipment -> order: what happened (the order writes it)
SIGNAL_SHIPMENT_DELIVERY = "delivery"  # order -> shipment: a final delivery status arrived


def order_workflow_id(number: str) -> str:
    return f"order-{number}"


def shipment_workflow_id(number: str, seq: int) -> str:
    return f"order-{number}-shipment-{seq}"


def activity_key(workflow_id: str, step: str) -> str:
    """The idempotency key of one step of one order (the same on every retry and replay)."""
    return f"{workflow_id}:{step}"


@dataclass
class LineInput:
    sku: str
    name: str
    unit_price: str
    quantity: int
    line_total: str
    # The line's share of the order discount and tax, and its total (API.md "Totals and vouchers"); histories
    # recorded before them decode as "" (the record step then splits the order's figures itself).
    discount: str = ""
    tax: str = ""
    total: str = ""


@dataclass
class PaymentInput:
    method: str  # "card" | "external"
    token: str  # card token, or the partner's external payment reference


@dataclass
class PlaceOrderInput:
    """Everything the order workflow needs; priced server-side before the workflow starts."""

    number: str
    channel: str
    partner_id: int | None
    customer_id: int | None
    external_ref: str
    currency: str
    lines: list[LineInput]
    subtotal: str
    discount: str
    shipping: str
    tax: str
    total: str
    contact: dict[str, str]  # email, name, phone
    shipping_address: dict[str, str]  # name, line1, line2, city, postal_code, country
    delivery: dict[str, str | None]  # priority, period_start, period_end (ISO 8601)
    payment: PaymentInput
    actor: str
    placed_at: str  # ISO 8601: the order's created_at and its first event's time
    # Hours an order may sit in a status before it is flagged ({"confirmed": 48, "shipped": 120}); read from
    # settings at placement so the workflow stays deterministic. Histories recorded before it decode as {}.
    sla_hours: dict[str, float] = field(default_factory=dict)
    # Where the order process starts its webhook dispatches (settings.WEBHOOK_TASK_QUEUE at placement).
    webhook_task_queue: str = ""
    email_task_queue: str = ""  # where it starts the e-mails its writes record (settings.EMAIL_TASK_QUEUE)
    # The voucher that gave ``discount`` (normalized code; "" when none): the "redeem voucher" saga step takes one
    # use of it. Histories recorded before vouchers decode as "".
    voucher_code: str = ""


@dataclass
class EventInput:
    type: str
    data: dict[str, Any] = field(default_factory=dict)
    at: str | None = None  # when it happened, if earlier than the write that records it


@dataclass
class ApplyInput:
    """One write to the read model: optional status changes plus timeline events, applied at most once."""

    number: str
    idempotency_key: str
    actor: str
    at: str  # workflow time (ISO 8601), so a replayed write carries the original time
    events: list[EventInput]
    status: str | None = None
    payment_status: str | None = None
    delivery_status: str | None = None
    failure_reason: str | None = None
    cancel_reason: str | None = None
    delivery_reference: str | None = None
    sla_breached_status: str | None = None  # the status whose SLA passed ("" clears the flag)
    tracking: dict[str, str] | None = None  # {carrier, tracking_number}
    details: dict[str, Any] | None = None  # shipping address / delivery changes (order_change_delivery)
    # Webhook event types (``order.confirmed``, ...) recorded in the same transaction as this write (outbox);
    # histories recorded before it decode as [] (those orders publish through the ``webhooks.publish`` activity).
    publish: list[str] = field(default_factory=list)
    pending_action: str | None = None  # the long-running action now in progress ("" clears it)
    # A shipment created or changed by this write ({seq, lines, carrier, tracking_number, amount_captured,
    # delivery_status, amount_refunded}: the keys present are written).
    shipment: dict[str, Any] | None = None
    refunded_amount: str | None = None  # the order's refunds added up
    lines: list[LineInput] | None = None  # an edit: the order's complete new lines
    totals: dict[str, str] | None = None  # an edit: subtotal, discount, shipping, tax, total
    voucher_code: str | None = None  # an edit that dropped the order's voucher: ""


@dataclass
class WriteResult:
    """What one write of the order process recorded that the workflow acts on: webhook deliveries and customer
    e-mails to start (each on its own task queue)."""

    delivery_ids: list[int] = field(default_factory=list)
    email_ids: list[int] = field(default_factory=list)


@dataclass
class DeliveryRequestInput:
    order_number: str
    idempotency_key: str


@dataclass
class DeliveryRequestResult:
    reference: str
    provider: str


@dataclass
class CancelInput:
    reason: str
    actor: str


@dataclass
class ShipLine:
    sku: str
    quantity: int


@dataclass
class ShipInput:
    """A shipment. ``lines`` None: everything not yet shipped (the only shape before split shipments, so
    histories recorded before it decode as one shipment of everything)."""

    carrier: str
    tracking_number: str
    actor: str
    lines: list[ShipLine] | None = None


@dataclass
class ShipmentInput:
    """The input of one shipment's child workflow: what it ships and captures (decided by the order)."""

    number: str
    seq: int
    lines: list[ShipLine]
    amount: str  # what this shipment captures (decimal string)
    final: bool  # the order's last shipment: its capture releases what stays uncaptured
    currency: str
    carrier: str
    tracking_number: str
    sla_hours: float | None = None  # shipped -> delivered within this, else the order is flagged


@dataclass
class ShipmentReport:
    """A shipment tells its order what happened; the order (the row's single writer) records it.
    ``kind``: ``shipped`` (captured and fulfilled), ``capture_failed``, ``returned`` (not delivered: restocked
    and refunded), ``sla_breached``."""

    seq: int
    kind: str
    payment: PaymentResult | None = None  # after the capture or the refund
    allocations: list[dict[str, Any]] = field(default_factory=list)
    detail: str = ""


@dataclass
class ShipmentDelivery:
    status: str  # delivered | not_delivered


@dataclass
class EditInput:
    """An edit of a confirmed order's lines: the complete new lines (a line left out is removed), priced by the
    service (kept lines keep their price; a new line takes today's), validated by the order's validator."""

    lines: list[LineInput]
    totals: dict[str, str]  # subtotal, discount, shipping, tax, total (decimal strings)
    actor: str
    # The order's voucher after the edit: "" when the edit dropped it (its use is given back); None in edits
    # recorded before vouchers were re-priced (the voucher stays as it was).
    voucher_code: str | None = None


@dataclass
class DeliveryEventInput:
    event_id: str
    status: str
    occurred_at: str  # ISO 8601
    actor: str
    shipment: int = 0  # the shipment's id (seq); 0: the order's only shipment (the order-level route)


@dataclass
class DeliveryEventResult:
    applied: bool  # False: a repeated event_id, or an event that would move delivery_status backwards
    delivery_status: str
    status: str


@dataclass
class ChangeDeliveryInput:
    """Validated, complete new values (model field names -> value) and the old ones, for the timeline."""

    changes: dict[str, Any]
    previous: dict[str, Any]
    actor: str


@dataclass
class OrderProgress:
    number: str
    step: str
    status: str
    payment_status: str
    delivery_status: str
    failure_reason: str
    cancel_reason: str
    cancel_requested: bool
    pending_compensations: list[str]
    pending_action: str = ""  # the long-running action in progress (API.md); "" when idle
    pending_commands: list[str] = field(default_factory=list)  # accepted, not yet applied (kinds, in order)


def business_error(code: str, message: str) -> ApplicationError:
    """A non-retryable refusal shaped like ``DomainError.as_payload`` so the client bridge rebuilds it."""
    payload = {"code": code, "message": message, "field": None, "details": {}}
    return ApplicationError(message, payload, type=code, non_retryable=True)


resolve_annotations(globals())  # types, not strings, for the payload converter (oms_project.payload_types)
