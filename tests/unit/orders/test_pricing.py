"""The one pricing function (``orders.domain.compute_totals``): vouchers, shipping rules and line shares."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.domain import PricedLine, PricingRules, Totals, VoucherKind, VoucherTerms, compute_totals

D = Decimal
RULES = PricingRules(
    tax_rate=D("0.19"), shipping_fee=D("4.90"), urgent_shipping_fee=D("9.90"), free_shipping_threshold=D("50.00")
)


def percent(value: str) -> VoucherTerms:
    return VoucherTerms(code="PCT", kind=VoucherKind.PERCENTAGE, value=D(value))


def fixed(value: str) -> VoucherTerms:
    return VoucherTerms(code="FIX", kind=VoucherKind.FIXED, value=D(value))


def assert_adds_up(totals: Totals) -> None:
    assert totals.total == totals.subtotal - totals.discount + totals.shipping + totals.tax
    assert sum(share.discount for share in totals.lines) == totals.discount
    assert sum(share.tax for share in totals.lines) == totals.tax
    assert sum(share.total for share in totals.lines) + totals.shipping == totals.total
    for share in totals.lines:
        assert share.total == share.line_total - share.discount + share.tax


def test_percentage_rounds_half_up_to_the_cent() -> None:
    totals = compute_totals([PricedLine("A", "a", D("10.05"), 1)], "EUR", RULES, voucher=percent("15"))
    assert totals.discount == D("1.51")  # 1.5075 -> 1.51
    assert_adds_up(totals)


def test_discount_is_split_over_lines_to_the_cent_remainder_on_the_last() -> None:
    lines = [
        PricedLine("A", "a", D("10.00"), 1),
        PricedLine("B", "b", D("10.00"), 1),
        PricedLine("C", "c", D("10.00"), 1),
    ]
    totals = compute_totals(lines, "EUR", RULES, voucher=fixed("10.00"))
    assert [share.discount for share in totals.lines] == [D("3.33"), D("3.33"), D("3.34")]
    assert totals.shipping == D("4.90")  # 20.00 after discount: under the threshold
    assert totals.tax == D("4.73")  # (20.00 + 4.90) * 0.19 = 4.731
    assert_adds_up(totals)


def test_fixed_amount_above_the_subtotal_gives_the_goods_away_and_ships_free() -> None:
    totals = compute_totals([PricedLine("A", "a", D("5.00"), 2)], "EUR", RULES, voucher=fixed("25.00"))
    assert (totals.subtotal, totals.discount, totals.shipping, totals.tax, totals.total) == (
        D("10.00"),
        D("10.00"),
        D("0.00"),
        D("0.00"),
        D("0.00"),
    )
    assert_adds_up(totals)


def test_a_hundred_percent_is_the_whole_subtotal() -> None:
    totals = compute_totals([PricedLine("A", "a", D("3.33"), 3)], "EUR", RULES, voucher=percent("100"))
    assert totals.discount == totals.subtotal == D("9.99")
    assert totals.total == D("0.00")


def test_free_shipping_threshold_counts_the_goods_after_discount() -> None:
    lines = [PricedLine("A", "a", D("55.00"), 1)]
    assert compute_totals(lines, "EUR", RULES).shipping == D("0.00")
    assert compute_totals(lines, "EUR", RULES, voucher=fixed("5.00")).shipping == D("0.00")  # exactly 50.00
    assert compute_totals(lines, "EUR", RULES, voucher=fixed("5.01")).shipping == D("4.90")


@pytest.mark.parametrize(
    "price, priority, shipping",
    [
        ("10.00", "normal", "4.90"),
        ("10.00", "urgent", "9.90"),  # under the threshold: the whole express fee
        ("50.00", "normal", "0.00"),
        ("50.00", "urgent", "5.00"),  # above it: express still costs its surcharge over normal delivery
    ],
)
def test_express_is_never_free(price: str, priority: str, shipping: str) -> None:
    totals = compute_totals([PricedLine("A", "a", D(price), 1)], "EUR", RULES, priority=priority)
    assert totals.shipping == D(shipping)
    assert_adds_up(totals)


def test_tax_is_split_over_what_is_left_of_each_line() -> None:
    lines = [PricedLine("A", "a", D("0.01"), 1), PricedLine("B", "b", D("33.33"), 3), PricedLine("C", "c", D("7"), 1)]
    totals = compute_totals(lines, "EUR", RULES, priority="urgent", voucher=percent("33"))
    assert_adds_up(totals)
    assert totals.lines[0].tax == D("0.00")


def test_zero_decimal_currency_shares() -> None:
    lines = [PricedLine("A", "a", D("999"), 1), PricedLine("B", "b", D("1"), 2)]
    totals = compute_totals(lines, "JPY", RULES, voucher=percent("10"))
    assert totals.discount == D("100")  # 10 % of 1001 = 100.1
    assert_adds_up(totals)


def test_no_voucher_no_discount_and_no_code() -> None:
    totals = compute_totals([PricedLine("A", "a", D("5.00"), 1)], "EUR", RULES)
    assert totals.discount == D("0.00")
    assert totals.voucher_code == ""
    assert [share.discount for share in totals.lines] == [D("0.00")]
