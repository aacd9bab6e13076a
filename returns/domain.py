"""Pure return rules: statuses, the one transition table, reasons, the window and the refund shares. No Django.

The ReturnWorkflow imports this module (through ``imports_passed_through``), so it must stay pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from oms_project.money import allocate, quantize
from oms_project.payload_types import resolve_annotations


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    RECEIVED = "received"
    REFUNDED = "refunded"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class ReturnReason(StrEnum):
    DAMAGED = "damaged"
    DEFECTIVE = "defective"
    WRONG_ITEM = "wrong_item"
    NOT_AS_DESCRIBED = "not_as_described"
    NO_LONGER_NEEDED = "no_longer_needed"
    OTHER = "other"


# The lifecycle, as data (API.md "Returns and refunds"). Anything not listed is refused.
TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    ReturnStatus.REQUESTED: frozenset({ReturnStatus.APPROVED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED}),
    ReturnStatus.APPROVED: frozenset({ReturnStatus.RECEIVED, ReturnStatus.CANCELLED, ReturnStatus.EXPIRED}),
    ReturnStatus.RECEIVED: frozenset({ReturnStatus.REFUNDED}),
    ReturnStatus.REFUNDED: frozenset(),
    ReturnStatus.REJECTED: frozenset(),
    ReturnStatus.CANCELLED: frozenset(),
    ReturnStatus.EXPIRED: frozenset(),
}
TERMINAL: frozenset[ReturnStatus] = frozenset(s for s, targets in TRANSITIONS.items() if not targets)
# Returns whose units count against what may still be returned of an order: open ones and refunded ones.
HOLDING: frozenset[ReturnStatus] = frozenset(
    {ReturnStatus.REQUESTED, ReturnStatus.APPROVED, ReturnStatus.RECEIVED, ReturnStatus.REFUNDED}
)
# Returns waiting for the shop (the back office's "awaiting action").
AWAITING_ACTION: frozenset[ReturnStatus] = frozenset({ReturnStatus.REQUESTED, ReturnStatus.APPROVED})

# The verb of each step, for refusals ("Return R-... is refunded; it cannot be approved").
STEP_VERBS: dict[ReturnStatus, str] = {
    ReturnStatus.APPROVED: "approved",
    ReturnStatus.REJECTED: "rejected",
    ReturnStatus.RECEIVED: "received",
    ReturnStatus.CANCELLED: "cancelled",
    ReturnStatus.EXPIRED: "expired",
    ReturnStatus.REFUNDED: "refunded",
}


class TransitionRefused(ValueError):
    """A status change the table does not allow: a bug in the caller, never a business answer."""


def can_transition(current: str, target: str) -> bool:
    return ReturnStatus(target) in TRANSITIONS[ReturnStatus(current)]


def check_transition(current: str, target: str) -> None:
    if not can_transition(current, target):
        raise TransitionRefused(f"{current} -> {target} is not in the return transition table")


def step_refusal(status: str, target: str) -> str | None:
    """Why a return in ``status`` cannot take the step to ``target`` (completes "Return <id> ..."), or None."""
    if can_transition(status, target):
        return None
    return f"is {status}; it cannot be {STEP_VERBS[ReturnStatus(target)]}"


def is_final(status: str) -> bool:
    return ReturnStatus(status) in TERMINAL


# --- The return window (RETURN_WINDOW_DAYS from delivery) ------------------------------------------------------
def window_closes_at(delivered_at: datetime, window_days: float) -> datetime:
    return delivered_at + timedelta(days=window_days)


def window_is_open(delivered_at: datetime | None, window_days: float, *, now: datetime) -> bool:
    return delivered_at is not None and now <= window_closes_at(delivered_at, window_days)


# --- Quantities ---------------------------------------------------------------------------------------------
def quantity_problem(requested: Mapping[str, int], returnable: Mapping[str, int]) -> tuple[str, str] | None:
    """(sku, why) for the first requested sku the order cannot return that many of, or None.

    ``returnable``: per sku, delivered units less what other holding returns hold (``HOLDING``)."""
    if not requested:
        return "", "A return needs at least one line."
    for sku, quantity in requested.items():
        if sku not in returnable:
            return sku, f"{sku} is not a delivered item of this order."
        if quantity > returnable[sku]:
            return sku, f"Only {returnable[sku]} of {sku} can still be returned, {quantity} requested."
    return None


def received_problem(received: Mapping[str, int], requested: Mapping[str, int]) -> tuple[str, str] | None:
    """(sku, why) for a received quantity that is not between 0 and what the return requested, or None."""
    for sku, quantity in received.items():
        if sku not in requested:
            return sku, f"{sku} is not on this return."
        if not 0 <= quantity <= requested[sku]:
            return sku, f"Between 0 and {requested[sku]} of {sku} can be received."
    return None


# --- Refund shares (API.md: pro rata of the line's total to the cent; the completing return takes the remainder)
@dataclass(frozen=True)
class LineRefundBasis:
    """One order line as the refund rule needs it: its total (with its share of discount and tax), its units,
    and what earlier refunded returns already refunded of it (units and amount)."""

    total: Decimal
    quantity: int
    refunded_units: int = 0
    refunded_amount: Decimal = Decimal("0")


def line_refund(basis: LineRefundBasis, units: int, currency: str) -> Decimal:
    """What ``units`` received units of this line refund: their share of what remains of the line's total over
    the units not yet refunded, to the cent. The return that brings the line's refunded units to its quantity
    takes the line's remainder, so all returns of a line add up exactly to its total."""
    if units <= 0:
        return quantize(Decimal("0"), currency)
    remaining_units = basis.quantity - basis.refunded_units
    if units > remaining_units:
        raise ValueError(f"{units} units refunded, only {remaining_units} left on the line")
    remaining_amount = basis.total - basis.refunded_amount
    share, _rest = allocate(remaining_amount, [Decimal(units), Decimal(remaining_units - units)], currency)
    return share


def capped_refund(amount: Decimal, refundable: Decimal) -> Decimal:
    """Refunds never exceed what was captured and not yet refunded (a goodwill refund may have taken part)."""
    return max(min(amount, refundable), Decimal("0"))


resolve_annotations(globals())  # types, not strings, for the payload converter (oms_project.payload_types)
