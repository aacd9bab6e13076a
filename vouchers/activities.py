"""The voucher saga step of the order process: sync, one service call each, idempotent by order number."""

from __future__ import annotations

from decimal import Decimal

from temporalio import activity

from carts.contracts import CART_CHECK_VOUCHER, VoucherCheckInput, VoucherCheckResult
from oms_project.activities import orm_activity
from vouchers import contracts, services
from vouchers.contracts import RedeemInput, ReleaseInput


@activity.defn(name=contracts.VOUCHER_REDEEM)
@orm_activity
def voucher_redeem(inp: RedeemInput) -> None:
    services.voucher_redeem(
        order_number=inp.order_number,
        code=inp.code,
        email=inp.email,
        subtotal=Decimal(inp.subtotal),
        currency=inp.currency,
    )


@activity.defn(name=contracts.VOUCHER_RELEASE)
@orm_activity
def voucher_release(inp: ReleaseInput) -> None:
    services.voucher_release(order_number=inp.order_number)


@activity.defn(name=CART_CHECK_VOUCHER)
@orm_activity
def cart_check_voucher(inp: VoucherCheckInput) -> VoucherCheckResult:
    """A cart's ``apply_voucher``: may the code discount this subtotal now? (a read; refusals are non-retryable)"""
    terms = services.voucher_check(code=inp.code, subtotal=Decimal(inp.subtotal), currency=inp.currency)
    return VoucherCheckResult(code=terms.code)
