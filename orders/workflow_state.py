"""The order process's state (``OrderState``) and the records it keeps: pure dataclasses, no workflow code.

They live outside orders/workflows.py because the sandboxed runner executes a workflow's own module afresh for every
workflow run, and building a dataclass is costly (its methods are generated and compiled): these four cost about
6 ms of worker CPU per order when they were defined there (docs/benchmarks.md, issue #19). Imported under
``imports_passed_through()``, they are built once per worker process; every run still gets its own instances, and
none of them holds class-level state. ``tests/workflow/replay/test_sandbox_imports.py`` keeps workflow modules free of
dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orders.domain as domain
from oms_project.payload_types import resolve_annotations
from orders.contracts import (
    CancelInput,
    ChangeDeliveryInput,
    DeliveryEventInput,
    DeliveryEventResult,
    EditInput,
    EventInput,
    LineInput,
    ShipInput,
    ShipmentReport,
)
from orders.domain import DeliveryStatus, OrderLineShare, PaymentStatus, Status
from payments.contracts import PaymentResult


@dataclass
class Command:
    """An accepted request, waiting for the run loop. ``id`` is the update's id: its handler waits for it."""

    kind: str
    id: str
    cancel: CancelInput | None = None
    ship: ShipInput | None = None
    delivery_event: DeliveryEventInput | None = None
    change_delivery: ChangeDeliveryInput | None = None
    report: ShipmentReport | None = None
    edit: EditInput | None = None


@dataclass
class ShipmentState:
    """One shipment as the order knows it (its child workflow does the work; the order writes the rows)."""

    seq: int
    lines: dict[str, int]
    amount: str  # what it captures
    per_sku: dict[str, Decimal]  # of which, per line
    carrier: str
    tracking_number: str
    delivery_status: str = DeliveryStatus.NONE
    refunded: bool = False


@dataclass
class Outcome:
    """How a command ended: ``refusal`` (an error payload) when the order had moved on by the time it ran."""

    refusal: dict[str, Any] | None = None
    delivery: DeliveryEventResult | None = None


@dataclass
class OrderState:
    """Everything the order process knows (the ``progress`` query shows it)."""

    number: str = ""
    status: str = Status.CREATED
    payment_status: str = PaymentStatus.PENDING
    delivery_status: str = DeliveryStatus.NONE
    failure_reason: str = ""
    cancel_reason: str = ""
    step: str = "starting"  # where the process is: record, reserve_stock, ..., awaiting_shipment, shipping, ...
    pending_action: str = ""  # the long-running action accepted and not finished (domain.PendingAction)
    recorded: bool = False
    pending: list[Command] = field(default_factory=list)  # accepted, not yet applied, in arrival order
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # by command id
    cancel_id: str = ""  # the accepted cancel: a repeat waits for its outcome
    ship_id: str = ""  # the accepted shipment: a repeat waits for its outcome
    delivery_event_ids: list[str] = field(default_factory=list)  # carrier event ids seen (a repeat changes nothing)
    authorization: PaymentResult | None = None
    status_since: str = ""  # ISO 8601, workflow time: when ``status`` was entered (SLA timers count from it)
    sla_flagged: list[str] = field(default_factory=list)  # statuses whose SLA has been flagged
    writes: int = 0  # the write sequence (each write's idempotency key)
    deferred: list[EventInput] = field(default_factory=list)  # events recorded by the next write
    voucher_code: str = ""  # the order's voucher ("" when none)
    voucher_redeemed: bool = False  # its use is taken (given back by the compensations)
    lines: list[OrderLineShare] = field(default_factory=list)  # the order's lines: units and share of the total
    line_inputs: list[LineInput] = field(default_factory=list)  # the same lines as recorded (names, prices)
    shipping: Decimal = Decimal(0)
    currency: str = ""
    shipments: list[ShipmentState] = field(default_factory=list)  # made (captured), in order
    reports: list[ShipmentReport] = field(default_factory=list)  # from the shipments, not yet recorded
    refunded: Decimal = Decimal(0)  # the payment's refunds added up, as last reported (Order.refunded_amount)
    authorized: Decimal = Decimal(0)  # what the payment authorizes in all (increments of edits included)
    total: Decimal = Decimal(0)
    edits: int = 0  # edits applied or refused (each one's activity keys)

    def shipped(self) -> dict[str, int]:
        units: dict[str, int] = {}
        for shipment in self.shipments:
            for sku, quantity in shipment.lines.items():
                units[sku] = units.get(sku, 0) + quantity
        return units

    def captured_by_sku(self) -> dict[str, Decimal]:
        amounts: dict[str, Decimal] = {}
        for shipment in self.shipments:
            for sku, amount in shipment.per_sku.items():
                amounts[sku] = amounts.get(sku, Decimal(0)) + amount
        return amounts

    def remaining(self) -> dict[str, int]:
        return domain.remaining_to_ship(self.lines, self.shipped())


resolve_annotations(globals())  # types, not strings, for the payload converter (oms_project.payload_types)
