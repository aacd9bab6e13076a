"""Payment contracts shared with workflows: activity names and payload dataclasses (no Django).

Money travels as decimal strings (the default data converter has no Decimal). Activity names are fixed
strings because workflow histories record them; never rename.
"""

from __future__ import annotations

from dataclasses import dataclass

PAYMENT_AUTHORIZE = "payment.authorize"
PAYMENT_CAPTURE = "payment.capture"
PAYMENT_VOID = "payment.void"
PAYMENT_REFUND = "payment.refund"

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
    """Input of capture / void / refund: they act on the order's one payment."""

    order_number: str
    idempotency_key: str


@dataclass
class PaymentResult:
    status: str  # pending | authorized | captured | voided | refunded | failed
    authorization_id: str
    amount: str
    currency: str
    expires_at: str | None  # ISO 8601; None when nothing expires (external, or nothing authorized)
