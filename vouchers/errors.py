"""Voucher refusals (API.md "Totals and vouchers"): each a DomainError with its API code, registered so it survives
a trip through Temporal (the redeem step's refusal ends the order ``failed`` with that reason)."""

from __future__ import annotations

from oms_project.errors import DomainError, ErrorCode, register_error


@register_error
class VoucherInvalid(DomainError):
    """Unknown, inactive, not yet valid or expired, another currency, or a subtotal under its minimum (400)."""

    code = ErrorCode.VOUCHER_INVALID
    default_message = "This voucher code is not valid."


@register_error
class VoucherExhausted(DomainError):
    """Its usage limit is reached, or a once-per-customer voucher was already used by that e-mail (409)."""

    code = ErrorCode.VOUCHER_EXHAUSTED
    default_message = "This voucher has been used up."
