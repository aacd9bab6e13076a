"""Payment services and the sandbox PSP on the real database."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from oms_project.errors import ErrorCode, InvalidInput, InvalidTransition
from payments.errors import PaymentDeclined
from payments.models import Payment, SandboxLedgerEntry
from payments.providers import ProviderUnavailable
from payments.selectors import sandbox_ledger_summary
from payments.services import payment_authorize, payment_capture, payment_refund, payment_void
from tests.temporal_env import settings_override

pytestmark = pytest.mark.django_db


def authorize(order: str = "1001", token: str = "pm_card_ok", *, key: str | None = None, **kw):  # type: ignore[no-untyped-def]
    params = {"amount": "25.50", "currency": "EUR", "method": "card"} | kw
    return payment_authorize(order_number=order, token=token, idempotency_key=key or f"order-{order}:auth", **params)


def test_authorize_ok_records_the_payment_and_the_psp_ledger() -> None:
    before = timezone.now()
    result = authorize()

    assert result.status == "authorized"
    assert result.authorization_id.startswith("sbx_auth_")
    assert (result.amount, result.currency) == ("25.50", "EUR")
    payment = Payment.objects.get(order_number="1001")
    assert payment.expires_at is not None
    assert before + timedelta(days=7) <= payment.expires_at <= timezone.now() + timedelta(days=7)
    assert result.expires_at == payment.expires_at.isoformat()
    entry = SandboxLedgerEntry.objects.get()
    assert (entry.operation, entry.status, entry.order_number, entry.attempts) == ("authorize", "succeeded", "1001", 1)


def test_authorization_expiry_follows_the_setting() -> None:
    with settings_override(PAYMENT_AUTHORIZATION_TTL=timedelta(hours=2)):
        authorize()
    payment = Payment.objects.get()
    assert payment.expires_at - payment.authorized_at < timedelta(hours=2, seconds=5)


def test_repeated_authorize_returns_the_first_result_and_charges_once() -> None:
    first = authorize(key="k1")
    assert authorize(key="k1") == first
    # Another key for the same order (a bug, a second caller) must not authorize again either.
    assert authorize(key="k2", token="pm_card_ok_other") == first
    assert SandboxLedgerEntry.objects.count() == 1
    summary = sandbox_ledger_summary()
    assert summary.authorizations == Counter({"1001": 1})
    assert summary.charged_twice == []


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("pm_card_declined", "card_declined"),
        ("pm_card_insufficient_funds", "insufficient_funds"),
        ("tok_visa", "invalid_token"),
        ("pm_card_okay", "invalid_token"),
    ],
)
def test_declines_are_payment_declined_with_the_reason(token: str, reason: str) -> None:
    with pytest.raises(PaymentDeclined) as exc:
        authorize(token=token)
    assert exc.value.code == ErrorCode.PAYMENT_DECLINED
    assert exc.value.details == {"reason": reason, "order_number": "1001"}
    payment = Payment.objects.get()
    assert (payment.status, payment.failure_reason) == ("failed", reason)
    # Asking again gives the same answer and no new PSP request.
    with pytest.raises(PaymentDeclined):
        authorize(token=token)
    assert SandboxLedgerEntry.objects.get().attempts == 1
    assert sandbox_ledger_summary().orders_charged == set()


def test_flaky_card_fails_transiently_twice_then_authorizes() -> None:
    for attempt in (1, 2):
        with pytest.raises(ProviderUnavailable):
            authorize(token="pm_card_flaky")
        assert SandboxLedgerEntry.objects.get().attempts == attempt
        assert Payment.objects.get().status == "pending"
    assert authorize(token="pm_card_flaky").status == "authorized"
    assert SandboxLedgerEntry.objects.get().attempts == 3
    assert authorize(token="pm_card_flaky").status == "authorized"
    assert SandboxLedgerEntry.objects.get().attempts == 3


def test_slow_card_answers_after_the_configured_delay() -> None:
    with settings_override(SANDBOX_SLOW_SECONDS=0.3):
        started = timezone.now()
        assert authorize(token="pm_card_slow").status == "authorized"
    assert timezone.now() - started >= timedelta(seconds=0.3)


def test_external_payment_is_recorded_without_the_psp() -> None:
    result = authorize(method="external", token="partner-ref-77")
    assert (result.status, result.authorization_id, result.expires_at) == ("authorized", "partner-ref-77", None)
    assert not SandboxLedgerEntry.objects.exists()
    assert payment_capture(order_number="1001", idempotency_key="c").status == "captured"
    assert payment_refund(order_number="1001", idempotency_key="r").status == "refunded"
    assert not SandboxLedgerEntry.objects.exists()


@pytest.mark.parametrize(
    ("field", "kw"),
    [
        ("amount", {"amount": "abc"}),
        ("amount", {"amount": "-1.00"}),
        ("amount", {"amount": "1.005"}),
        ("currency", {"currency": "XXX"}),
        ("method", {"method": "cash"}),
    ],
)
def test_bad_authorize_input_is_refused(field: str, kw: dict) -> None:
    with pytest.raises(InvalidInput) as exc:
        authorize(**kw)
    assert exc.value.field == field
    assert not Payment.objects.exists()


def test_capture_then_refund() -> None:
    authorize()
    assert payment_capture(order_number="1001", idempotency_key="c1").status == "captured"
    assert payment_capture(order_number="1001", idempotency_key="c1").status == "captured"
    assert payment_capture(order_number="1001", idempotency_key="c2").status == "captured"
    with pytest.raises(InvalidTransition):
        payment_void(order_number="1001", idempotency_key="v1")
    assert payment_refund(order_number="1001", idempotency_key="r1").status == "refunded"
    assert payment_refund(order_number="1001", idempotency_key="r2").status == "refunded"
    summary = sandbox_ledger_summary()
    assert (summary.captures["1001"], summary.refunds["1001"], summary.voids["1001"]) == (1, 1, 0)
    assert summary.open_authorizations == []
    assert SandboxLedgerEntry.objects.filter(operation="capture").count() == 1


def test_void_an_authorization() -> None:
    authorize()
    assert sandbox_ledger_summary().open_authorizations == ["1001"]
    assert payment_void(order_number="1001", idempotency_key="v1").status == "voided"
    assert payment_void(order_number="1001", idempotency_key="v2").status == "voided"
    with pytest.raises(InvalidTransition):
        payment_capture(order_number="1001", idempotency_key="c1")
    assert payment_refund(order_number="1001", idempotency_key="r1").status == "voided"
    summary = sandbox_ledger_summary()
    assert summary.voids["1001"] == 1 and summary.open_authorizations == []


def test_void_and_refund_when_nothing_was_authorized_are_noops() -> None:
    assert payment_void(order_number="none", idempotency_key="v").status == "pending"
    assert payment_refund(order_number="none", idempotency_key="r").status == "pending"
    assert not Payment.objects.exists()
    with pytest.raises(PaymentDeclined):
        authorize(token="pm_card_declined")
    assert payment_void(order_number="1001", idempotency_key="v").status == "failed"
    assert payment_refund(order_number="1001", idempotency_key="r").status == "failed"
    assert SandboxLedgerEntry.objects.count() == 1


def test_refund_of_an_uncaptured_authorization_is_refused() -> None:
    authorize()
    with pytest.raises(InvalidTransition):
        payment_refund(order_number="1001", idempotency_key="r")
    with pytest.raises(InvalidTransition):
        payment_capture(order_number="none", idempotency_key="c")


def test_void_of_a_pending_payment_closes_it() -> None:
    with pytest.raises(ProviderUnavailable):
        authorize(token="pm_card_flaky")  # attempt 1 of 3: no answer yet
    assert payment_void(order_number="1001", idempotency_key="v").status == "voided"
    # A retry of the authorize activity arriving after the compensation must not authorize any more.
    assert authorize(token="pm_card_flaky").status == "voided"
    assert SandboxLedgerEntry.objects.get().attempts == 1
    assert sandbox_ledger_summary().orders_charged == set()


@pytest.mark.django_db(transaction=True)
def test_an_authorization_landing_after_the_void_is_voided_at_once() -> None:
    def slow_authorize() -> None:
        with settings_override(SANDBOX_SLOW_SECONDS=1.0):
            results.append(authorize(token="pm_card_slow"))
        connection.close()

    results: list = []
    zombie = threading.Thread(target=slow_authorize)
    zombie.start()
    deadline = timezone.now() + timedelta(seconds=5)
    while not SandboxLedgerEntry.objects.exists() and timezone.now() < deadline:
        threading.Event().wait(0.02)
    # The attempt is inside the PSP call now; the saga's compensation voids the payment meanwhile.
    assert payment_void(order_number="1001", idempotency_key="v").status == "voided"
    zombie.join()

    assert results[0].status == "voided"
    summary = sandbox_ledger_summary()
    assert summary.authorizations["1001"] == 1 and summary.voids["1001"] == 1
    assert summary.open_authorizations == []


def test_void_adopts_an_authorization_the_psp_gave_but_we_never_recorded() -> None:
    authorize()
    # Simulate a crash between the PSP's answer and our update.
    Payment.objects.update(status="pending", authorization_id="", expires_at=None)
    assert payment_void(order_number="1001", idempotency_key="v").status == "voided"
    assert sandbox_ledger_summary().open_authorizations == []


def test_capture_after_expiry_is_declined() -> None:
    authorize()
    SandboxLedgerEntry.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(PaymentDeclined) as exc:
        payment_capture(order_number="1001", idempotency_key="c")
    assert exc.value.details["reason"] == "authorization_expired"
    assert Payment.objects.get().status == "authorized"


def test_summary_finds_charges_without_an_order() -> None:
    authorize("A")
    authorize("B")
    with pytest.raises(PaymentDeclined):
        authorize("C", token="pm_card_declined")
    summary = sandbox_ledger_summary()
    assert summary.orders_charged == {"A", "B"}
    assert summary.declines == Counter({"C": 1})
    assert summary.charges_without_order(["A", "C"]) == ["B"]
    assert sandbox_ledger_summary(order_numbers=["A"]).orders_charged == {"A"}


def _in_threads(count: int, target):  # type: ignore[no-untyped-def]
    results: list = [None] * count
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_key", [True, False])
def test_concurrent_authorizations_of_one_order_authorize_once(same_key: bool) -> None:
    results = _in_threads(30, lambda i: authorize(key="k" if same_key else f"k{i}"))

    assert all(r == results[0] for r in results), {repr(r) for r in results}
    assert results[0].status == "authorized"
    summary = sandbox_ledger_summary()
    assert summary.authorizations == Counter({"1001": 1}) and summary.charged_twice == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_captures_and_voids_settle_on_one_outcome() -> None:
    authorize()
    ops = [payment_capture, payment_void]
    results = _in_threads(20, lambda i: ops[i % 2](order_number="1001", idempotency_key=f"k{i}"))

    final = Payment.objects.get().status
    assert final in ("captured", "voided")
    summary = sandbox_ledger_summary()
    assert summary.captures["1001"] + summary.voids["1001"] == 1
    for r in results:
        assert isinstance(r, InvalidTransition) or r.status == final, r
