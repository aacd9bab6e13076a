"""Payments v2 on the real database: partial captures, partial refunds, incremental authorizations and the
``pm_card_limit_100`` sandbox card (docs/payments.md "Partial amounts")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from oms_project.errors import ErrorCode, InvalidInput, InvalidTransition
from payments.errors import PaymentDeclined, RefundExceedsCaptured
from payments.models import Payment, PaymentOperation, SandboxLedgerEntry
from payments.selectors import sandbox_ledger_summary
from payments.services import (
    payment_authorize,
    payment_authorize_more,
    payment_capture,
    payment_refund,
    payment_status_from_amounts,
    payment_void,
)
from tests.unit.payments.test_payments import _in_threads

pytestmark = pytest.mark.django_db

D = Decimal


def authorize(order: str = "2001", amount: str = "100.00", token: str = "pm_card_ok", method: str = "card"):  # type: ignore[no-untyped-def]
    return payment_authorize(
        order_number=order,
        amount=amount,
        currency="EUR",
        method=method,
        token=token,
        idempotency_key=f"order-{order}:auth",
    )


def capture(amount: str | None, key: str, *, final: bool = False, order: str = "2001"):  # type: ignore[no-untyped-def]
    return payment_capture(order_number=order, idempotency_key=key, amount=amount, final=final)


def refund(amount: str | None, key: str, *, order: str = "2001"):  # type: ignore[no-untyped-def]
    return payment_refund(order_number=order, idempotency_key=key, amount=amount)


def test_several_captures_add_up_and_each_is_a_ledger_row() -> None:
    authorize()
    first = capture("30.00", "s1")
    assert (first.status, first.captured_amount, first.refunded_amount) == ("partially_captured", "30.00", "0.00")
    assert capture("30.00", "s1") == first  # the same key captures once
    last = capture("70.00", "s2")
    assert (last.status, last.captured_amount) == ("captured", "100.00")
    rows = SandboxLedgerEntry.objects.filter(operation="capture").order_by("id")
    assert [(r.amount, r.status) for r in rows] == [(D("30.00"), "succeeded"), (D("70.00"), "succeeded")]
    summary = sandbox_ledger_summary()
    assert summary.captured_amounts["2001"] == D("100.00") and summary.charged_twice == []
    assert summary.open_authorizations == []
    # Nothing more to capture: everything-left answers as it is, an amount is refused.
    assert capture(None, "s3").status == "captured"
    with pytest.raises(InvalidTransition):
        capture("0.01", "s4")


def test_a_capture_past_the_authorization_is_refused_and_moves_nothing() -> None:
    authorize()
    capture("60.00", "s1")
    with pytest.raises(InvalidTransition) as exc:
        capture("40.01", "s2")
    assert exc.value.details["reason"] == "capture_exceeds_authorized"
    payment = Payment.objects.get()
    assert payment.captured_amount == D("60.00")
    assert SandboxLedgerEntry.objects.filter(operation="capture").count() == 1


def test_a_final_capture_releases_the_rest_of_the_authorization() -> None:
    authorize()
    capture("30.00", "s1")
    assert sandbox_ledger_summary().open_authorizations == ["2001"]
    result = capture("50.00", "s2", final=True)  # an edit lowered the total to 80.00
    assert (result.status, result.amount, result.captured_amount) == ("captured", "100.00", "80.00")
    assert sandbox_ledger_summary().open_authorizations == []
    with pytest.raises(InvalidTransition):
        capture("10.00", "s3")


def test_partial_refunds_add_up_and_never_exceed_the_captures() -> None:
    authorize()
    capture("30.00", "s1")
    assert refund("10.00", "r1").status == "partially_refunded"
    assert refund("10.00", "r1").refunded_amount == "10.00"  # the same key refunds once
    with pytest.raises(RefundExceedsCaptured) as exc:
        refund("20.01", "r2")
    assert exc.value.code == ErrorCode.REFUND_EXCEEDS_CAPTURED
    assert isinstance(exc.value, InvalidTransition)
    assert exc.value.details["refundable"] == "20.00"
    assert Payment.objects.get().refunded_amount == D("10.00")
    # Partly captured, partly refunded: capture stays open for the next shipment.
    assert capture("70.00", "s2").status == "partially_refunded"
    everything_left = refund(None, "r3")
    assert (everything_left.status, everything_left.refunded_amount) == ("refunded", "100.00")
    assert refund(None, "r4").status == "refunded"  # nothing left: answered as it is
    summary = sandbox_ledger_summary()
    assert summary.refunds["2001"] == 2 and summary.refunded_amounts["2001"] == D("100.00")
    assert summary.charged_twice == []


def test_the_database_refuses_a_refund_past_the_captures_whatever_the_code() -> None:
    authorize()
    capture("30.00", "s1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.update(refunded_amount=D("30.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.update(captured_amount=D("100.01"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_never_exceed_what_was_captured() -> None:
    """A return and an undelivered shipment refund at the same moment: each holds its amount under the row lock
    before the provider is asked, so together they never pass the capture (without the hold both would pass the
    check and the second would hit the CHECK constraint, or the PSP would refund too much)."""
    authorize()
    capture("50.00", "s1")
    results = _in_threads(12, lambda i: refund("10.00", f"r{i}"))

    refunded = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refunded) == 5 and len(refused) == 7, results
    assert all(isinstance(r, RefundExceedsCaptured) for r in refused), refused
    payment = Payment.objects.get()
    assert (payment.refunded_amount, payment.status) == (D("50.00"), "partially_refunded")
    summary = sandbox_ledger_summary()
    assert summary.refunded_amounts["2001"] == D("50.00") and summary.refunds["2001"] == 5
    assert summary.charged_twice == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_partial_captures_never_exceed_the_authorization() -> None:
    authorize()
    results = _in_threads(8, lambda i: capture("30.00", f"s{i}"))
    assert sum(1 for r in results if not isinstance(r, Exception)) == 3
    assert Payment.objects.get().captured_amount == D("90.00")
    assert sandbox_ledger_summary().captured_amounts["2001"] == D("90.00")


def test_incremental_authorization_raises_what_can_be_captured() -> None:
    authorize(amount="80.00")
    result = payment_authorize_more(order_number="2001", idempotency_key="e1", amount="15.00")
    assert (result.status, result.amount) == ("authorized", "95.00")
    assert payment_authorize_more(order_number="2001", idempotency_key="e1", amount="15.00").amount == "95.00"
    assert capture(None, "s1").captured_amount == "95.00"
    summary = sandbox_ledger_summary()
    assert (summary.increments["2001"], summary.authorized_amounts["2001"]) == (1, D("95.00"))
    assert summary.open_authorizations == [] and summary.charged_twice == []


def test_limit_100_card_authorizes_within_100_and_declines_beyond() -> None:
    with pytest.raises(PaymentDeclined) as exc:
        authorize(order="big", amount="100.01", token="pm_card_limit_100")
    assert exc.value.details["reason"] == "limit_exceeded"

    authorize(amount="60.00", token="pm_card_limit_100")
    assert payment_authorize_more(order_number="2001", idempotency_key="e1", amount="40.00").amount == "100.00"
    with pytest.raises(PaymentDeclined) as exc:
        payment_authorize_more(order_number="2001", idempotency_key="e2", amount="0.01")
    assert exc.value.details["reason"] == "limit_exceeded"
    # The declined increment changed nothing, and asking again with its key answers the same.
    payment = Payment.objects.get(order_number="2001")
    assert (payment.amount, payment.status) == (D("100.00"), "authorized")
    assert PaymentOperation.objects.get(idempotency_key="e2").status == "declined"
    with pytest.raises(PaymentDeclined):
        payment_authorize_more(order_number="2001", idempotency_key="e2", amount="0.01")
    assert SandboxLedgerEntry.objects.filter(idempotency_key="e2").get().attempts == 1


def test_authorize_more_needs_an_open_authorization_and_a_positive_amount() -> None:
    with pytest.raises(InvalidTransition):
        payment_authorize_more(order_number="none", idempotency_key="e0", amount="1.00")
    authorize()
    with pytest.raises(InvalidInput):
        payment_authorize_more(order_number="2001", idempotency_key="e1", amount="0")
    capture(None, "s1")
    with pytest.raises(InvalidTransition):
        payment_authorize_more(order_number="2001", idempotency_key="e2", amount="1.00")


def test_void_after_a_partial_capture_is_refused() -> None:
    authorize()
    capture("10.00", "s1")
    with pytest.raises(InvalidTransition):
        payment_void(order_number="2001", idempotency_key="v")
    assert Payment.objects.get().status == "partially_captured"


def test_external_payments_move_amounts_without_the_psp() -> None:
    authorize(method="external")
    assert capture("40.00", "s1").status == "partially_captured"
    assert capture("60.00", "s2").status == "captured"
    assert refund("25.00", "r1").status == "partially_refunded"
    assert not SandboxLedgerEntry.objects.exists()


@pytest.mark.parametrize(
    ("authorized", "captured", "refunded", "closed", "status"),
    [
        ("100", "0", "0", False, "authorized"),
        ("100", "30", "0", False, "partially_captured"),
        ("100", "100", "0", False, "captured"),
        ("100", "80", "0", True, "captured"),
        ("100", "30", "30", False, "partially_refunded"),
        ("100", "80", "80", True, "refunded"),
        ("100", "100", "99", False, "partially_refunded"),
        ("0", "0", "0", True, "captured"),
    ],
)
def test_status_follows_the_amounts(authorized: str, captured: str, refunded: str, closed: bool, status: str) -> None:
    assert (
        payment_status_from_amounts(
            authorized=D(authorized), captured=D(captured), refunded=D(refunded), capture_closed=closed
        )
        == status
    )
