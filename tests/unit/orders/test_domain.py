import itertools
from decimal import Decimal

import pytest

from orders.domain import (
    CANCELLABLE,
    MAY_HAVE_RETURNS,
    MAY_HAVE_SHIPMENTS,
    TRANSITIONS,
    PricedLine,
    PricingRules,
    Status,
    VoucherKind,
    VoucherTerms,
    can_change_payment,
    can_transition,
    compute_totals,
    is_cancellable,
)


def test_happy_lifecycle_is_allowed() -> None:
    path = [Status.CREATED, Status.CONFIRMED, Status.SHIPPED, Status.DELIVERED]
    for current, target in itertools.pairwise(path):
        assert can_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Status.CONFIRMED, Status.CREATED),
        (Status.SHIPPED, Status.CONFIRMED),
        (Status.DELIVERED, Status.CANCELLED),
        (Status.CANCELLED, Status.CONFIRMED),
        (Status.FAILED, Status.CONFIRMED),
        (Status.CREATED, Status.SHIPPED),
        (Status.CREATED, Status.DELIVERED),
        (Status.CONFIRMED, Status.FAILED),
    ],
)
def test_transitions_outside_the_table_are_refused(current: Status, target: Status) -> None:
    assert not can_transition(current, target)


def test_terminal_statuses_have_no_way_out_and_every_status_is_in_the_table() -> None:
    assert set(TRANSITIONS) == set(Status)
    for terminal in (Status.DELIVERED, Status.CANCELLED, Status.FAILED):
        assert not any(can_transition(terminal, target) for target in Status if target != terminal)


def test_partner_cancel_is_allowed_until_shipment_only() -> None:
    assert {Status.CREATED, Status.CONFIRMED} == CANCELLABLE
    assert is_cancellable("confirmed")
    assert not is_cancellable("shipped")
    assert not is_cancellable("failed")


def test_payment_cannot_go_back_from_voided_or_captured_to_authorized() -> None:
    assert can_change_payment("pending", "authorized")
    assert can_change_payment("authorized", "voided")
    assert not can_change_payment("voided", "authorized")
    assert not can_change_payment("captured", "voided")
    assert can_change_payment("captured", "refunded")


RULES = PricingRules(
    tax_rate=Decimal("0.19"),
    shipping_fee=Decimal("4.90"),
    urgent_shipping_fee=Decimal("9.90"),
    free_shipping_threshold=Decimal("50.00"),
)


def test_line_totals_round_half_up_once_and_parts_add_up() -> None:
    lines = [PricedLine("A", "a", Decimal("0.335"), 3), PricedLine("B", "b", Decimal("1.005"), 1)]
    totals = compute_totals(lines, "EUR", RULES)
    assert totals.subtotal == Decimal("1.01") + Decimal("1.01")  # 1.005 -> 1.01 twice (half up)
    assert totals.shipping == Decimal("4.90")
    assert totals.tax == Decimal("1.31")  # (2.02 + 4.90) * 0.19 = 1.3148
    assert totals.total == totals.subtotal - totals.discount + totals.shipping + totals.tax == Decimal("8.23")


def test_free_shipping_from_the_threshold_and_urgent_fee() -> None:
    line = [PricedLine("A", "a", Decimal("25.00"), 2)]
    assert compute_totals(line, "EUR", RULES).shipping == Decimal("0")
    small = [PricedLine("A", "a", Decimal("10.00"), 1)]
    assert compute_totals(small, "EUR", RULES, priority="urgent").shipping == Decimal("9.90")


def test_zero_decimal_currency_rounds_to_whole_units() -> None:
    rules = PricingRules(tax_rate=Decimal("0.19"), shipping_fee=Decimal("4.90"))
    totals = compute_totals([PricedLine("A", "a", Decimal("999"), 1)], "JPY", rules)
    assert totals.shipping == Decimal("5")  # 4.90 rounded half-up to the yen
    assert totals.tax == Decimal("191")  # (999 + 5) * 0.19 = 190.76
    assert totals.total == Decimal("1195")


def test_fixed_voucher_larger_than_the_subtotal_discounts_exactly_the_subtotal() -> None:
    voucher = VoucherTerms(code="BIG", kind=VoucherKind.FIXED, value=Decimal("9"))
    totals = compute_totals([PricedLine("A", "a", Decimal("5.00"), 1)], "EUR", PricingRules(), voucher=voucher)
    assert totals.discount == Decimal("5.00")
    assert totals.total == Decimal("0.00")
    assert totals.voucher_code == "BIG"


def test_only_orders_that_shipped_or_were_delivered_can_have_shipment_rows_or_returns() -> None:
    # The bodies skip the shipment and return queries for every other status: the sets follow the table.
    shipped = {Status.PARTIALLY_SHIPPED, Status.SHIPPED, Status.DELIVERED, Status.CANCELLED}  # cancelled: not delivered
    assert shipped == MAY_HAVE_SHIPMENTS
    assert {Status.DELIVERED} == MAY_HAVE_RETURNS
