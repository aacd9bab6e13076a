"""Quotes: the one pricing function (``orders.domain.compute_totals``) fed with the settings' rules and a voucher
looked up in the database. Carts, the checkout page and the cart API show these figures; placing an order prices
it the same way (``orders.services.order_prepare``), so the figures shown are the figures charged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from oms_project.errors import DomainError
from orders.domain import PricedLine, PricingRules, Priority, Totals, VoucherTerms, compute_totals, subtotal_of
from vouchers.services import voucher_check


def pricing_rules() -> PricingRules:
    threshold = settings.ORDER_FREE_SHIPPING_THRESHOLD
    return PricingRules(
        tax_rate=Decimal(settings.ORDER_TAX_RATE),
        shipping_fee=Decimal(settings.ORDER_SHIPPING_FEE),
        urgent_shipping_fee=Decimal(settings.ORDER_URGENT_SHIPPING_FEE),
        free_shipping_threshold=Decimal(threshold) if threshold else None,
    )


@dataclass(frozen=True)
class Quote:
    totals: Totals
    voucher_code: str  # the code asked for (normalized), applied or not
    voucher_problem: str  # why it gives no discount now ("" when it applies or there is none)
    voucher_problem_code: str = ""  # voucher_invalid | voucher_exhausted


def price_quote(
    *,
    lines: Sequence[PricedLine],
    currency: str,
    priority: str = Priority.NORMAL,
    voucher_code: str = "",
    email: str = "",
) -> Quote:
    """The figures of ``lines`` for a delivery choice, with the voucher if it applies now. A voucher that does not
    apply (expired, under its minimum, used up) gives no discount and says why, so a page or a cart can show it;
    placing the order refuses it instead."""
    voucher: VoucherTerms | None = None
    problem, problem_code = "", ""
    if voucher_code:
        try:
            voucher = voucher_check(
                code=voucher_code, subtotal=subtotal_of(lines, currency), currency=currency, email=email
            )
        except DomainError as refusal:
            problem, problem_code = refusal.message, str(refusal.code)
    totals = compute_totals(lines, currency, pricing_rules(), priority=priority, voucher=voucher)
    return Quote(totals=totals, voucher_code=voucher_code, voucher_problem=problem, voucher_problem_code=problem_code)
