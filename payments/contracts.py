"""Payment contracts shared with workflows: activity names and payload dataclasses (no Django).

Money travels as decimal strings (the default data converter has no Decimal). Activity names are fixed
strings because workflow histories record them; never rename.
"""

from __future__ import annotations

from dataclasses import dataclass

from oms_project.payload_types import resolve_annotations

PAYMENT_AUTHORIZE = "payment.authorize"
PAYMENT_CAPTURE = "payment.capture"
PAYMENT_VOID = "payment.void"
PAYMENT_REFUND = "payment.refund"
PAYMENT_AUTHORIZE_MORE = "payment.authorize_more"

METHOD_CARD = "card"
METHOD_EXTERNAL = "external"


@dataclass
class AuthorizeInput:
    order_number: str
    amount: str  # decimal string, e.g. "12.50"
    currency: str  # ISO 4217
    method: str  # "card" | "external"
    token: str  # card token (pm_card_ok...) or the partner's external payment reference
    idempotency_key: str  # derived from the workflow, e.g. f"{workflow_id}:payment.authorize"


@dataclass
class PaymentOrderInput:
    """Input of capture / void / refund: they act on the order's one payment. ``amount`` (capture, refund): a
    decimal string, "" for everything left (histories recorded before partial amounts decode as ""). ``final``
    (capture): the last capture of the order, releasing what stays uncaptured."""

    order_number: str
    idempotency_key: str
    amount: str = ""
    final: bool = False


@dataclass
class AuthorizeMoreInput:
    """Input of an incremental authorization (an order edit raised the total by ``amount``)."""

    order_number: str
    idempotency_key: str
    amount: str


@dataclass
class PaymentResult:
    # pending | authorized | partially_captured | captured | partially_refunded | refunded | voided | failed
    status: str
    authorization_id: str
    amount: str  # authorized in all (increments included)
    currency: str
    expires_at: str | None  # ISO 8601; None when nothing expires (external, or nothing authorized)
    captured_amount: str = "0"
    refunded_amount: str = "0"


resolve_annotations(globals())  # types, not strings, for the payload converter (oms_project.payload_types)
