"""The voucher saga step's activity names and payloads (pure: the order workflow imports them).

Activity names are fixed strings: workflow histories hold them, so never rename one."""

from __future__ import annotations

from dataclasses import dataclass

from oms_project.payload_types import resolve_annotations

VOUCHER_REDEEM = "voucher.redeem"
VOUCHER_RELEASE = "voucher.release"


@dataclass
class RedeemInput:
    """The facts the redemption is checked against, as priced at placement (money as decimal strings)."""

    order_number: str
    code: str
    email: str
    subtotal: str
    currency: str
    idempotency_key: str  # the order's step key; the order number makes the step idempotent


@dataclass
class ReleaseInput:
    order_number: str
    idempotency_key: str


resolve_annotations(globals())  # types, not strings, for the payload converter (oms_project.payload_types)
