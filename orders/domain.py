"""Pure order rules: statuses, the one transition table, limits and totals. No Django, no I/O.

Workflows import this module (through ``imports_passed_through``), so it must stay pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from oms_project.money import allocate, quantize
from oms_project.payload_types import resolve_annotations


class Status(StrEnum):
    CREATED = "created"
    CONFIRMED = "confirmed"
    PARTIALLY_SHIPPED = "partially_shipped"  # some units shipped, more to ship (API.md "Shipments")
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    FAILED = "failed"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    PARTIALLY_CAPTURED = "partially_captured"  # some shipments captured, more to come
    CAPTURED = "captured"
    PARTIALLY_REFUNDED = "partially_refunded"  # part of what was captured went back (a shipment, a return)
    VOIDED = "voided"
    REFUNDED = "refunded"  # everything captured went back
    FAILED = "failed"


class DeliveryStatus(StrEnum):
    NONE = "none"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    NOT_DELIVERED = "not_delivered"


class Priority(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class Channel(StrEnum):
    API = "api"  # partner API
    WEB = "web"  # customer storefront
    CART = "cart"  # partner cart checkout


class FailureReason(StrEnum):
    INSUFFICIENT_STOCK = "insufficient_stock"
    PAYMENT_DECLINED = "payment_declined"
    VOUCHER_EXHAUSTED = "voucher_exhausted"  # another order took the voucher's last use first
    VOUCHER_INVALID = "voucher_invalid"  # the voucher expired or was deactivated between quote and redemption
    STEP_FAILED = "step_failed"  # a step kept failing for reasons that are not a business answer


class CancelReason(StrEnum):
    """Reasons the system sets (partners and staff give their own)."""

    AUTHORIZATION_EXPIRED = "authorization_expired"  # not shipped before the card authorization expired
    DELIVERY_FAILED = "delivery_failed"  # the carrier reported not_delivered
    CAPTURE_FAILED = "capture_failed"  # the PSP refused to capture at shipment


# The lifecycle, as data. Anything not listed is refused (``can_transition``).
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.CREATED: frozenset({Status.CONFIRMED, Status.FAILED, Status.CANCELLED}),
    Status.CONFIRMED: frozenset({Status.PARTIALLY_SHIPPED, Status.SHIPPED, Status.CANCELLED}),
    # Ends only once every unit shipped (or, when the authorization expires, once the rest is dropped).
    Status.PARTIALLY_SHIPPED: frozenset({Status.SHIPPED, Status.CANCELLED}),
    Status.SHIPPED: frozenset({Status.DELIVERED, Status.CANCELLED}),  # shipped -> cancelled: not delivered
    Status.DELIVERED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.FAILED: frozenset(),
}

PAYMENT_TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.PENDING: frozenset({PaymentStatus.AUTHORIZED, PaymentStatus.FAILED, PaymentStatus.VOIDED}),
    PaymentStatus.AUTHORIZED: frozenset(
        {PaymentStatus.PARTIALLY_CAPTURED, PaymentStatus.CAPTURED, PaymentStatus.VOIDED}
    ),
    PaymentStatus.PARTIALLY_CAPTURED: frozenset(
        {PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
    ),
    PaymentStatus.CAPTURED: frozenset({PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}),
    PaymentStatus.PARTIALLY_REFUNDED: frozenset(
        {PaymentStatus.PARTIALLY_CAPTURED, PaymentStatus.CAPTURED, PaymentStatus.REFUNDED}
    ),
    PaymentStatus.VOIDED: frozenset(),
    PaymentStatus.REFUNDED: frozenset(),
    PaymentStatus.FAILED: frozenset(),
}

TERMINAL: frozenset[Status] = frozenset(s for s, targets in TRANSITIONS.items() if not targets)


def _reachable(start: frozenset[Status]) -> frozenset[Status]:
    """``start`` and every status the table can move an order to from there."""
    seen, todo = set(start), list(start)
    while todo:
        for target in TRANSITIONS[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return frozenset(seen)


# Which orders can have shipment rows or returns. A shipment row is written by the same write that moves the order
# to partially_shipped or shipped; a return only for a delivered order (``returns.services``); statuses never move
# back. So an order in any other status has none, and reads (the bodies of lists, details, webhooks) skip the
# query for it (issue #19). Derived from the table, so a new transition keeps them right.
MAY_HAVE_SHIPMENTS: frozenset[Status] = _reachable(frozenset({Status.PARTIALLY_SHIPPED, Status.SHIPPED}))
MAY_HAVE_RETURNS: frozenset[Status] = _reachable(frozenset({Status.DELIVERED}))


class TransitionRefused(ValueError):
    """A status change the table does not allow: a bug in the caller, never a business answer."""


def check_transition(current: str, target: str) -> None:
    if not can_transition(current, target):
        raise TransitionRefused(f"{current} -> {target} is not in the order transition table")


class PendingAction(StrEnum):
    """A long-running action in progress (API.md "Long-running actions": the ``pending_action`` of an order).

    The order process records it when it accepts the action and clears it when the action is done; the read model
    holds it too, so every reader decides with the same facts."""

    CANCEL = "cancel"  # compensations running (release stock, void payment, cancel delivery)
    SHIPMENT = "shipment"  # capturing the payment and taking the stock off the shelf
    EDIT = "edit"  # an edit's all-or-nothing step (reserve, release, authorize the difference)
    COMPENSATION = "compensation"  # a failed checkout undoing its earlier steps
    REFUND = "refund"  # the parcel was not delivered: refunding and restocking


# Partner cancel is allowed until shipment; shipped -> cancelled is reserved for a failed delivery.
CANCELLABLE: frozenset[Status] = frozenset({Status.CREATED, Status.CONFIRMED})


def can_transition(current: str, target: str) -> bool:
    if current == target:
        return True  # re-applying the same status (a replayed activity) is harmless
    return Status(target) in TRANSITIONS[Status(current)]


def can_change_payment(current: str, target: str) -> bool:
    return current == target or PaymentStatus(target) in PAYMENT_TRANSITIONS[PaymentStatus(current)]


def is_cancellable(status: str) -> bool:
    return Status(status) in CANCELLABLE


# --- What may be asked of an order now (the one place; the workflow's validators, services and pages ask these) ---
# Each returns why not (to complete "Order <number> ..."), or None when the action is allowed. ``pending`` is the
# long-running action in progress ("" when idle). A repeat of the action in progress is allowed: it answers the
# same outcome (API.md "Long-running actions").


def cancel_refusal(status: str, pending: str = "") -> str | None:
    if pending == PendingAction.CANCEL or (status == Status.CANCELLED and not pending):
        return None  # a repeat: answered with the order as it is
    if pending == PendingAction.SHIPMENT:
        return "is being shipped; it can no longer be cancelled"
    if pending:
        return f"is {status} and its {pending} is running; it can no longer be cancelled"
    if not is_cancellable(status):
        return f"is {status}; it can no longer be cancelled"
    return None


# An order ships (in one or several shipments) while confirmed or partly shipped (API.md "Shipments").
SHIPPABLE: frozenset[Status] = frozenset({Status.CONFIRMED, Status.PARTIALLY_SHIPPED})


def ship_refusal(status: str, pending: str = "") -> str | None:
    if pending == PendingAction.SHIPMENT:
        return None  # a repeat: answered with the shipment's outcome
    if pending == PendingAction.CANCEL:
        return "is being cancelled; it cannot ship"
    if pending:
        return f"is {status} and its {pending} is running; try again when it has finished"
    if Status(status) not in SHIPPABLE:
        return f"is {status}; only confirmed or partially shipped orders ship"
    return None


def shipment_refusal(
    status: str, pending: str, remaining: dict[str, int], requested: dict[str, int] | None
) -> str | None:
    """May a shipment of ``requested`` units per sku (None: everything left) start now? ``remaining``: units per
    sku not yet shipped. A sku not on the order or more than remains to ship of a line refuses it all."""
    if pending == PendingAction.SHIPMENT:
        # Everything-left again while a shipment runs is a repeat (answered with its outcome, as ``ship`` was).
        return None if requested is None else "is being shipped; wait for that shipment to finish"
    if refusal := ship_refusal(status, pending):
        return refusal
    if requested is None:
        return None if any(remaining.values()) else "has nothing left to ship"
    if not requested or any(quantity < 1 for quantity in requested.values()):
        return "needs at least one unit per shipment line"
    for sku, quantity in requested.items():
        if sku not in remaining:
            return f"has no line {sku}"
        if quantity > remaining[sku]:
            return f"has only {remaining[sku]} of {sku} left to ship"
    return None


def edit_refusal(status: str, pending: str = "") -> str | None:
    """May the order's lines change now? While confirmed or partly shipped, and no other action is running."""
    if pending:
        return f"is {status} and its {pending} is running; try again when it has finished"
    if Status(status) not in SHIPPABLE:
        return f"is {status}; only confirmed or partially shipped orders can be edited"
    return None


def delivery_change_refusal(status: str, pending: str = "") -> str | None:
    if pending or not is_delivery_changeable(status):
        return f"is {'being shipped' if pending == PendingAction.SHIPMENT else status}; delivery can no longer change"
    return None


def delivery_event_refusal(status: str, event_status: str, pending: str = "") -> str | None:
    if pending in (PendingAction.CANCEL, PendingAction.COMPENSATION) or not delivery_event_allowed(
        status, event_status
    ):
        return f"is {status}; a {event_status} event is not allowed now"
    return None


# Shipping address and delivery details may change until shipment.
DELIVERY_CHANGEABLE: frozenset[Status] = frozenset({Status.CREATED, Status.CONFIRMED})


def is_delivery_changeable(status: str) -> bool:
    return Status(status) in DELIVERY_CHANGEABLE


# --- Delivery period (API.md: two timestamps within one year from now, the end after the start) ----------
DELIVERY_PERIOD_HORIZON = timedelta(days=365)


def delivery_time_problem(value: datetime, *, now: datetime) -> str | None:
    """What is wrong with one delivery-period timestamp the caller sent, or None."""
    if value <= now:
        return "The delivery period must be in the future."
    if value > now + DELIVERY_PERIOD_HORIZON:
        return "The delivery period must be within one year from now."
    return None


def delivery_period_problem(start: datetime | None, end: datetime | None) -> str | None:
    """What is wrong with a period as a whole (either end may be open), or None."""
    if start is not None and end is not None and end <= start:
        return "The delivery period must end after it starts."
    return None


# --- Delivery events (docs/orders.md "Delivery events") ---------------------------------------------------
# A carrier's events arrive late, twice or out of order: delivery_status only ever moves up this ranking.
# delivered and not_delivered are both final (same rank): whichever arrives first wins.
DELIVERY_RANK: dict[DeliveryStatus, int] = {
    DeliveryStatus.NONE: 0,
    DeliveryStatus.ACCEPTED: 1,
    DeliveryStatus.ASSIGNED: 2,
    DeliveryStatus.IN_TRANSIT: 3,
    DeliveryStatus.DELIVERED: 4,
    DeliveryStatus.NOT_DELIVERED: 4,
}
DELIVERY_EVENT_STATUSES: tuple[str, ...] = tuple(s.value for s in DELIVERY_RANK if s != DeliveryStatus.NONE)
DELIVERY_FINAL: frozenset[DeliveryStatus] = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.NOT_DELIVERED})
# Before shipment the carrier may only acknowledge the request; movement needs a shipped parcel.
DELIVERY_EVENTS_BEFORE_SHIPMENT: frozenset[DeliveryStatus] = frozenset(
    {DeliveryStatus.ACCEPTED, DeliveryStatus.ASSIGNED}
)


def delivery_event_allowed(order_status: str, event_status: str) -> bool:
    """May an event with ``event_status`` arrive while the order is ``order_status`` (not counting repeats)?"""
    if order_status in (Status.SHIPPED, Status.PARTIALLY_SHIPPED):
        return True
    return order_status == Status.CONFIRMED and DeliveryStatus(event_status) in DELIVERY_EVENTS_BEFORE_SHIPMENT


def delivery_advances(current: str, event_status: str) -> bool:
    """True when the event moves delivery_status forward; later-ranked or final statuses are never undone."""
    if DeliveryStatus(current) in DELIVERY_FINAL:
        return False
    return DELIVERY_RANK[DeliveryStatus(event_status)] > DELIVERY_RANK[DeliveryStatus(current)]


# --- Limits (API.md) --------------------------------------------------------------------------------------
MAX_LINES = 100
MIN_QUANTITY = 1
MAX_QUANTITY = 999


# --- Totals: the one pricing function (docs/pricing.md states every rule) ------------------------------------
@dataclass(frozen=True)
class PricedLine:
    sku: str
    name: str
    unit_price: Decimal
    quantity: int

    def line_total(self, currency: str) -> Decimal:
        return quantize(self.unit_price * self.quantity, currency)


@dataclass(frozen=True)
class PricingRules:
    """Settings-driven; amounts are in the order's currency (see docs/pricing.md)."""

    tax_rate: Decimal = Decimal("0")
    shipping_fee: Decimal = Decimal("0")
    urgent_shipping_fee: Decimal = Decimal("0")
    free_shipping_threshold: Decimal | None = None


class VoucherKind(StrEnum):
    PERCENTAGE = "percentage"  # that share of the subtotal (1-100)
    FIXED = "fixed"  # an amount in the order's currency, capped at the subtotal


@dataclass(frozen=True)
class VoucherTerms:
    """What a voucher takes off, once ``vouchers.services`` found it applicable (pure: no validity, no usage)."""

    code: str
    kind: str  # VoucherKind
    value: Decimal  # the percentage, or the fixed amount


@dataclass(frozen=True)
class LineShare:
    """One line's share of the order: ``total = line_total - discount + tax``; the shares of all lines plus the
    shipping add up to the order's total exactly (captures and refunds are computed from them)."""

    line_total: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount: Decimal
    shipping: Decimal
    tax: Decimal
    total: Decimal
    lines: tuple[LineShare, ...] = ()  # in the order of the priced lines
    voucher_code: str = ""  # the voucher that gave ``discount`` ("" when none)


def subtotal_of(lines: Sequence[PricedLine], currency: str) -> Decimal:
    """The goods before any discount: the sum of the rounded line totals."""
    return quantize(sum((line.line_total(currency) for line in lines), Decimal(0)), currency)


def line_shares(
    line_totals: Sequence[Decimal], *, discount: Decimal, tax: Decimal, currency: str
) -> tuple[LineShare, ...]:
    """Split an order's discount over its lines in proportion to their line totals, then its tax in proportion to
    what is left of each line, both to the cent with the remainder on the last line (``money.allocate``)."""
    if not line_totals:
        return ()
    discounts = allocate(discount, line_totals, currency)
    nets = [line_total - line_discount for line_total, line_discount in zip(line_totals, discounts, strict=True)]
    taxes = allocate(tax, nets, currency)
    return tuple(
        LineShare(line_total=line_total, discount=line_discount, tax=line_tax, total=net + line_tax)
        for line_total, line_discount, net, line_tax in zip(line_totals, discounts, nets, taxes, strict=True)
    )


def voucher_discount(subtotal: Decimal, currency: str, voucher: VoucherTerms | None) -> Decimal:
    """The discount a voucher gives on ``subtotal``: a percentage of it rounded half-up to the cent, or a fixed
    amount capped at it (a larger amount discounts exactly the subtotal). Never on shipping or tax."""
    if voucher is None:
        return quantize(Decimal(0), currency)
    if voucher.kind == VoucherKind.PERCENTAGE:
        return quantize(min(subtotal * voucher.value / 100, subtotal), currency)
    return quantize(min(voucher.value, subtotal), currency)


def shipping_charge(goods: Decimal, rules: PricingRules, priority: str, currency: str) -> Decimal:
    """Shipping for goods worth ``goods`` (subtotal after discount). Normal delivery is free from the threshold;
    express never is: from the threshold it costs the surcharge over normal delivery (urgent fee - normal fee),
    below it the whole urgent fee. An order with nothing left to pay for its goods ships free."""
    urgent = priority == Priority.URGENT
    fee = rules.urgent_shipping_fee if urgent else rules.shipping_fee
    if goods <= 0:
        return quantize(Decimal(0), currency)
    if rules.free_shipping_threshold is not None and goods >= rules.free_shipping_threshold:
        fee = max(rules.urgent_shipping_fee - rules.shipping_fee, Decimal(0)) if urgent else Decimal(0)
    return quantize(fee, currency)


def compute_totals(
    lines: Sequence[PricedLine],
    currency: str,
    rules: PricingRules,
    *,
    priority: str = Priority.NORMAL,
    voucher: VoucherTerms | None = None,
) -> Totals:
    """The one pricing function: carts, the checkout page, orders, e-mails and the admin show its figures.

    One rounding policy: each line total and each order-level amount is rounded half-up to the currency's
    minor unit once, at the point it is computed; the total is the exact sum of rounded parts, so the parts
    always add up to the total shown. Each line's share of the discount and of the tax is ``line_shares``."""
    line_totals = [line.line_total(currency) for line in lines]
    subtotal = subtotal_of(lines, currency)
    discount = voucher_discount(subtotal, currency, voucher)
    goods = subtotal - discount
    shipping = shipping_charge(goods, rules, priority, currency)
    tax = quantize((goods + shipping) * rules.tax_rate, currency)
    total = quantize(goods + shipping + tax, currency)
    return Totals(
        subtotal=subtotal,
        discount=discount,
        shipping=shipping,
        tax=tax,
        total=total,
        lines=line_shares(line_totals, discount=discount, tax=tax, currency=currency),
        voucher_code=voucher.code if voucher is not None else "",
    )


# --- Shipments (API.md "Shipments (split fulfilment)"; docs/orders.md "Shipments") ---------------------------
@dataclass(frozen=True)
class OrderLineShare:
    """What a shipment needs of an order line: its units and its share of the order's total."""

    sku: str
    quantity: int
    total: Decimal


def remaining_to_ship(lines: Sequence[OrderLineShare], shipped: dict[str, int]) -> dict[str, int]:
    """Units per sku not yet shipped (lines of the order in their order)."""
    return {line.sku: line.quantity - shipped.get(line.sku, 0) for line in lines}


def shipment_amount(
    lines: Sequence[OrderLineShare],
    *,
    shipped: dict[str, int],
    captured: dict[str, Decimal],
    ship: dict[str, int],
    shipping: Decimal,
    first: bool,
    currency: str,
) -> tuple[Decimal, dict[str, Decimal]]:
    """What a shipment captures: for each line its units' share of the line ``total`` (pro rata, rounded half-up
    to the cent, never more than the line has left), the shipment that completes a line taking exactly the
    line's remainder; plus the order's shipping on the first shipment. Returns (amount, per sku). So the
    captures of all shipments add up to the line totals plus shipping, i.e. the order total, to the cent."""
    per_sku: dict[str, Decimal] = {}
    for line in lines:
        units = ship.get(line.sku, 0)
        if not units:
            continue
        left = line.total - captured.get(line.sku, Decimal(0))
        if shipped.get(line.sku, 0) + units >= line.quantity:
            per_sku[line.sku] = left
        else:
            per_sku[line.sku] = min(quantize(line.total * units / line.quantity, currency), left)
    amount = sum(per_sku.values(), Decimal(0)) + (shipping if first else Decimal(0))
    return quantize(amount, currency), per_sku


def order_delivery_status(shipment_statuses: Sequence[str]) -> str:
    """The order's delivery status from its shipments': the least advanced one, and once all are final,
    ``delivered`` if any was delivered, else ``not_delivered``."""
    if not shipment_statuses:
        return DeliveryStatus.NONE
    if all(DeliveryStatus(s) in DELIVERY_FINAL for s in shipment_statuses):
        delivered = DeliveryStatus.DELIVERED in shipment_statuses
        return DeliveryStatus.DELIVERED if delivered else DeliveryStatus.NOT_DELIVERED
    return min(shipment_statuses, key=lambda s: DELIVERY_RANK[DeliveryStatus(s)])


def order_end(all_shipped: bool, shipment_statuses: Sequence[str]) -> Status | None:
    """The order ends when every unit has shipped and every shipment is delivered or not delivered:
    ``delivered`` if any was delivered, else ``cancelled`` (``delivery_failed``). None: not yet."""
    if not all_shipped or not shipment_statuses:
        return None
    if not all(DeliveryStatus(s) in DELIVERY_FINAL for s in shipment_statuses):
        return None
    return Status.DELIVERED if DeliveryStatus.DELIVERED in shipment_statuses else Status.CANCELLED


resolve_annotations(globals())  # types, not strings, for the payload converter (oms_project.payload_types)
