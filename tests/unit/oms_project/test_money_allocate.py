"""``money.allocate``: the one split of an amount over parts (line shares, captures, refunds)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from oms_project.money import allocate

D = Decimal


def test_equal_weights_put_the_remainder_on_the_last_part() -> None:
    assert allocate(D("10.00"), [D(1), D(1), D(1)], "EUR") == [D("3.33"), D("3.33"), D("3.34")]


def test_shares_are_pro_rata_rounded_half_up() -> None:
    assert allocate(D("1.00"), [D(2), D(1)], "EUR") == [D("0.67"), D("0.33")]
    assert allocate(D("5.00"), [D("12.50"), D("37.50")], "EUR") == [D("1.25"), D("3.75")]


def test_rounding_up_never_gives_away_more_than_the_amount() -> None:
    # Six parts of 0.005 each would round up to 0.01 and hand out 0.06 of 0.03: earlier parts stop at what is left.
    parts = allocate(D("0.03"), [D(1)] * 6 + [D(0)], "EUR")
    assert sum(parts) == D("0.03")
    assert all(part >= 0 for part in parts)


def test_all_zero_weights_put_everything_on_the_last_part() -> None:
    assert allocate(D("4.20"), [D(0), D(0)], "EUR") == [D("0.00"), D("4.20")]


def test_zero_decimal_currency_and_negative_amounts() -> None:
    assert allocate(D("100"), [D(1), D(1), D(1)], "JPY") == [D("33"), D("33"), D("34")]
    assert allocate(D("-10.00"), [D(1), D(1), D(1)], "EUR") == [D("-3.33"), D("-3.33"), D("-3.34")]


@pytest.mark.parametrize(
    "amount, weights",
    [
        (D("0.01"), [D("9.99"), D("0.01")]),
        (D("99.99"), [D("0.01"), D("33.33"), D("66.65"), D("1000")]),
        (D("7.77"), [D("1.10")] * 13),
    ],
)
def test_parts_always_sum_to_the_amount(amount: Decimal, weights: list[Decimal]) -> None:
    parts = allocate(amount, weights, "EUR")
    assert sum(parts) == amount
    assert len(parts) == len(weights)
    assert all(part >= 0 and part == part.quantize(D("0.01")) for part in parts)


def test_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        allocate(D("1.00"), [], "EUR")
    with pytest.raises(ValueError):
        allocate(D("1.00"), [D(1), D(-1)], "EUR")
    with pytest.raises(ValueError):
        allocate(D("1.005"), [D(1)], "EUR")
