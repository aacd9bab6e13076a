"""Pure return rules: the transition table, the window, quantities and refund shares to the cent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from returns import domain
from returns.domain import LineRefundBasis, ReturnStatus


def test_transition_table_allows_only_the_contract_paths() -> None:
    allowed = {(a, b) for a, targets in domain.TRANSITIONS.items() for b in targets}
    assert allowed == {
        ("requested", "approved"),
        ("requested", "rejected"),
        ("requested", "cancelled"),
        ("approved", "received"),
        ("approved", "cancelled"),
        ("approved", "expired"),
        ("received", "refunded"),
    }
    assert {"refunded", "rejected", "cancelled", "expired"} == domain.TERMINAL
    with pytest.raises(domain.TransitionRefused):
        domain.check_transition(ReturnStatus.RECEIVED, ReturnStatus.CANCELLED)  # cancelling ends at receipt


def test_step_refusal_names_the_status_and_the_step() -> None:
    assert domain.step_refusal("requested", "approved") is None
    assert domain.step_refusal("refunded", "approved") == "is refunded; it cannot be approved"
    assert domain.step_refusal("approved", "rejected") == "is approved; it cannot be rejected"


def test_window_counts_from_delivery_inclusive() -> None:
    delivered = datetime(2030, 1, 1, tzinfo=UTC)
    assert domain.window_is_open(delivered, 30, now=delivered + timedelta(days=30))
    assert not domain.window_is_open(delivered, 30, now=delivered + timedelta(days=30, seconds=1))
    assert not domain.window_is_open(None, 30, now=delivered)


def test_quantity_problem_names_the_sku() -> None:
    assert domain.quantity_problem({"A": 2}, {"A": 2, "B": 1}) is None
    assert domain.quantity_problem({"A": 3}, {"A": 2})[0] == "A"
    assert domain.quantity_problem({"C": 1}, {"A": 2})[0] == "C"
    assert domain.quantity_problem({}, {"A": 2}) is not None


def test_line_refund_is_pro_rata_and_the_completing_return_takes_the_remainder() -> None:
    line = LineRefundBasis(total=Decimal("10.00"), quantity=3)
    first = domain.line_refund(line, 1, "EUR")
    assert first == Decimal("3.33")
    second = domain.line_refund(
        LineRefundBasis(total=line.total, quantity=3, refunded_units=1, refunded_amount=first), 1, "EUR"
    )
    assert second == Decimal("3.34")  # 6.67 left over 2 units: half, rounded half-up
    last = domain.line_refund(
        LineRefundBasis(total=line.total, quantity=3, refunded_units=2, refunded_amount=first + second), 1, "EUR"
    )
    assert first + second + last == line.total  # every cent, never more
    assert domain.line_refund(line, 3, "EUR") == line.total
    assert domain.line_refund(line, 0, "EUR") == Decimal("0.00")
    with pytest.raises(ValueError):
        domain.line_refund(LineRefundBasis(total=line.total, quantity=3, refunded_units=3), 1, "EUR")


@pytest.mark.parametrize("quantity", [1, 2, 3, 7, 13])
def test_returning_a_line_unit_by_unit_refunds_exactly_its_total(quantity: int) -> None:
    total, refunded = Decimal("99.99"), Decimal("0")
    for units in range(quantity):
        refunded += domain.line_refund(LineRefundBasis(total, quantity, units, refunded), 1, "EUR")
    assert refunded == total


def test_refund_is_capped_at_what_remains_refundable() -> None:
    assert domain.capped_refund(Decimal("10.00"), Decimal("4.00")) == Decimal("4.00")
    assert domain.capped_refund(Decimal("10.00"), Decimal("-1")) == Decimal("0")
    assert domain.capped_refund(Decimal("3.00"), Decimal("4.00")) == Decimal("3.00")
