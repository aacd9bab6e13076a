"""Payments of orders: authorize at checkout (and more when an edit raises the total), capture at each shipment
(partial amounts, the last one final), void on cancel, refund after capture (partial amounts).

Each service is three short steps so that no database transaction is held open across the provider call:
decide under a row lock on the order's ``Payment``; call the provider with an idempotency key; apply the
answer under the lock again (re-checking, since another call may have won meanwhile). Every service is
idempotent and safe to run twice or concurrently; rules and examples in docs/payments.md.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from oms_project.connections import hand_back_connection
from oms_project.errors import InvalidInput, InvalidTransition
from oms_project.money import is_supported_currency, parse_amount, quantize
from payments.contracts import METHOD_CARD, METHOD_EXTERNAL, PaymentResult
from payments.errors import PaymentDeclined, RefundExceedsCaptured
from payments.models import Payment, PaymentOperation
from payments.providers import DECLINED, PaymentProvider, ProviderResult, get_provider

Status = Payment.Status
Kind = PaymentOperation.Kind
OpStatus = PaymentOperation.Status
_TIMESTAMP = {
    Status.AUTHORIZED: "authorized_at",
    Status.VOIDED: "voided_at",
}
_KIND_TIMESTAMP = {Kind.CAPTURE: "captured_at", Kind.REFUND: "refunded_at"}
# Statuses of a payment that holds money (an authorization, maybe partly captured or refunded).
_MONEY_STATUSES = (
    Status.AUTHORIZED,
    Status.PARTIALLY_CAPTURED,
    Status.CAPTURED,
    Status.PARTIALLY_REFUNDED,
    Status.REFUNDED,
)


def payment_result(payment: Payment | None) -> PaymentResult:
    """The contract shape of a payment; no payment row reads as ``pending`` with nothing authorized."""
    if payment is None:
        return PaymentResult(status=Status.PENDING, authorization_id="", amount="0", currency="", expires_at=None)
    return PaymentResult(
        status=payment.status,
        authorization_id=payment.authorization_id,
        amount=str(quantize(payment.amount, payment.currency)),
        currency=payment.currency,
        expires_at=payment.expires_at.isoformat() if payment.expires_at else None,
        captured_amount=str(quantize(Decimal(payment.captured_amount), payment.currency)),
        refunded_amount=str(quantize(Decimal(payment.refunded_amount), payment.currency)),
    )


def payment_status_from_amounts(
    *, authorized: Decimal, captured: Decimal, refunded: Decimal, capture_closed: bool
) -> str:
    """The status of a payment holding money, from its amounts (the one rule; docs/payments.md):
    capture is complete when a final capture closed it or everything authorized is captured; refunded means
    every captured unit of money went back and nothing more will be captured."""
    complete = capture_closed or captured >= authorized
    if refunded > 0:
        return Status.REFUNDED if complete and refunded == captured else Status.PARTIALLY_REFUNDED
    if captured > 0 or capture_closed:
        return Status.CAPTURED if complete else Status.PARTIALLY_CAPTURED
    return Status.AUTHORIZED


def _locked(order_number: str) -> Payment | None:
    return Payment.objects.select_for_update().filter(order_number=order_number).first()


def _move(payment: Payment, status: str, **fields: object) -> None:
    payment.status = status
    for name, value in fields.items():
        setattr(payment, name, value)
    if stamp := _TIMESTAMP.get(status):
        setattr(payment, stamp, timezone.now())
    payment.save()


# Refusals that mean "the authorization is not in the state this operation needs" (another operation won a
# race): a state conflict, not a payment decline.
_CONFLICTS = {
    "already_captured",
    "already_voided",
    "already_refunded",
    "authorization_voided",
    "not_captured",
    "unknown_authorization",
    "amount_exceeds_authorization",
    "amount_exceeds_capture",
    "currency_mismatch",
}


def _declined(payment: Payment, result: ProviderResult) -> PaymentDeclined | InvalidTransition:
    if result.decline_reason in _CONFLICTS:
        return InvalidTransition(
            f"The provider refused: {result.decline_reason}.",
            details={"reason": result.decline_reason, "order_number": payment.order_number},
        )
    return PaymentDeclined(
        f"The payment was declined ({result.decline_reason}).",
        details={"reason": result.decline_reason, "order_number": payment.order_number},
    )


def _validated_amount(amount: str | Decimal, currency: str) -> Decimal:
    if not is_supported_currency(currency):
        raise InvalidInput(f"Unsupported currency {currency!r}.", field="currency")
    try:
        value = parse_amount(amount)
    except ValueError as exc:
        raise InvalidInput("Amount must be a decimal string.", field="amount") from exc
    if value < 0 or quantize(value, currency) != value:
        raise InvalidInput(f"Amount must be >= 0 with at most the minor digits of {currency}.", field="amount")
    return value


def payment_authorize(
    *, order_number: str, amount: str | Decimal, currency: str, method: str, token: str, idempotency_key: str
) -> PaymentResult:
    """Authorize the order's payment once. Declines raise ``PaymentDeclined`` (details: reason); a provider
    outage raises ``ProviderUnavailable`` (retry). An order already authorized (or further) is returned as is."""
    value = _validated_amount(amount, currency)
    if method not in (METHOD_CARD, METHOD_EXTERNAL):
        raise InvalidInput("Method must be 'card' or 'external'.", field="method")
    if method == METHOD_CARD and not token:
        raise InvalidInput("A card token is required.", field="token")
    if not idempotency_key:
        raise InvalidInput("An idempotency key is required.", field="idempotency_key")
    provider = get_provider()
    with transaction.atomic():
        # The order's payment row, made by the first call (INSERT ... ON CONFLICT DO NOTHING: no get_or_create
        # savepoint, no look-up first), then taken under its lock, whoever made it.
        new = Payment(
            order_number=order_number,
            method=method,
            provider=provider.name if method == METHOD_CARD else "",
            amount=value,
            currency=currency,
            authorize_key=idempotency_key,
        )
        Payment.objects.bulk_create([new], ignore_conflicts=True)
        payment = Payment.objects.select_for_update().get(order_number=order_number)
        if payment.status not in (Status.PENDING, Status.FAILED):
            return payment_result(payment)
        if payment.method == METHOD_EXTERNAL:
            # The partner collected the money: record it, nothing to ask a PSP and nothing that expires.
            _move(payment, Status.AUTHORIZED, authorization_id=token or f"external:{order_number}")
            return payment_result(payment)
        key = payment.authorize_key  # the first caller's key, for every later call too

    hand_back_connection()
    result = provider.authorize(
        idempotency_key=key, order_number=order_number, amount=payment.amount, currency=payment.currency, token=token
    )

    orphan = False
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status in (Status.PENDING, Status.FAILED):
            if result.succeeded:
                _move(
                    payment,
                    Status.AUTHORIZED,
                    authorization_id=result.authorization_id,
                    expires_at=result.expires_at,
                    failure_reason="",
                )
            else:
                _move(payment, Status.FAILED, failure_reason=result.decline_reason)
        elif result.succeeded and payment.status == Status.VOIDED and not payment.authorization_id:
            orphan = True  # voided while this attempt was in flight: the hold must not outlive the order
    if orphan:
        provider.void(idempotency_key=f"{key}:late-void", authorization_id=result.authorization_id)
    if payment.status == Status.FAILED:
        raise _declined(payment, result)
    return payment_result(payment)


def _check_follow_up(payment: Payment, operation: str, allowed_from: str) -> None:
    if payment.status != allowed_from:
        raise InvalidTransition(
            f"Cannot {operation} a payment that is {payment.status}.",
            details={"status": payment.status, "operation": operation},
        )


def _settle_pending(payment: Payment, provider: PaymentProvider) -> None:
    """A void of a payment still ``pending``: did an attempt authorize it at the PSP after all (a crash before
    we recorded the answer)? Asked outside any row lock (a slow provider must not block the row: decide under
    the lock, call outside, apply under the lock); applied only if the payment is still pending by then."""
    hand_back_connection()
    authorization = provider.find_authorization(idempotency_key=payment.authorize_key)
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != Status.PENDING:
            return  # an attempt recorded its answer meanwhile: the caller decides on that
        if authorization is None or not authorization.succeeded:
            # Nothing was authorized: close the payment so a late attempt cannot authorize it any more (its
            # answer, if it succeeds, is voided as an orphan by payment_authorize).
            _move(payment, Status.VOIDED)
        else:
            # Authorized at the PSP but never recorded here: adopt it, so the void acts on it.
            _move(payment, Status.AUTHORIZED, authorization_id=authorization.authorization_id)


def _follow_up(*, order_number: str, idempotency_key: str) -> PaymentResult:
    """Void: authorized -> voided through the provider; no payment, failed, voided or refunded answer as they
    are; pending is settled first (``_settle_pending``); anything else (captured, or a capture in flight) is an
    ``InvalidTransition``."""
    provider = get_provider()
    with transaction.atomic():
        payment = _locked(order_number)
        if payment is None or payment.status in (Status.FAILED, Status.REFUNDED, Status.VOIDED):
            return payment_result(payment)
        settle_first = payment.status == Status.PENDING
        if not settle_first:
            _check_follow_up(payment, "void", Status.AUTHORIZED)
            if _held(payment, Kind.CAPTURE):
                raise InvalidTransition(
                    "A capture of this payment is in progress; it cannot be voided.",
                    details={"status": payment.status, "operation": "void"},
                )
            if payment.method == METHOD_EXTERNAL:
                _move(payment, Status.VOIDED)
                return payment_result(payment)
    if settle_first:
        _settle_pending(payment, provider)  # then decide again on what it became
        return _follow_up(order_number=order_number, idempotency_key=idempotency_key)

    hand_back_connection()
    result = provider.void(idempotency_key=idempotency_key, authorization_id=payment.authorization_id)

    refused = False
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status == Status.AUTHORIZED:
            if result.succeeded or result.decline_reason == "already_voided":
                _move(payment, Status.VOIDED, failure_reason="")
            else:
                payment.failure_reason = result.decline_reason
                payment.save(update_fields=["failure_reason", "updated_at"])
                refused = True
    if refused:
        raise _declined(payment, result)
    return payment_result(payment)


def payment_void(*, order_number: str, idempotency_key: str) -> PaymentResult:
    """Compensation of authorize. Authorized -> voided. No payment, failed, voided or refunded: a no-op
    returning the status; pending (nothing authorized yet) is closed as voided; anything captured:
    ``InvalidTransition``."""
    return _follow_up(order_number=order_number, idempotency_key=idempotency_key)


# --- money movements: captures, refunds, incremental authorizations ----------------------------------------


def _held(payment: Payment, kind: str) -> Decimal:
    """What operations of ``kind`` asked of the provider and not yet answered hold (counted as done)."""
    held = payment.operations.filter(kind=kind, status=OpStatus.PENDING).aggregate(total=Sum("amount"))["total"]
    return held or Decimal("0")


def _capture_amount(payment: Payment | None, amount: Decimal | None) -> Decimal | PaymentResult:
    if payment is None or payment.status not in _MONEY_STATUSES:
        status = payment.status if payment else Status.PENDING
        raise InvalidTransition(
            f"Cannot capture a payment that is {status}.", details={"status": status, "operation": "capture"}
        )
    available = payment.amount - payment.captured_amount - _held(payment, Kind.CAPTURE)
    if payment.capture_closed:
        available = Decimal("0")
    if amount is None:
        if available <= 0 and _held(payment, Kind.CAPTURE):
            raise InvalidTransition(
                "A capture of this payment is in progress.", details={"status": payment.status, "operation": "capture"}
            )
        if available <= 0:
            return payment_result(payment)  # everything was captured already: answered as it is
        return available
    if amount > available:
        raise InvalidTransition(
            f"Cannot capture {amount}: {max(available, Decimal('0'))} is authorized and not yet captured.",
            details={"status": payment.status, "operation": "capture", "reason": "capture_exceeds_authorized"},
        )
    return amount


def _refund_amount(payment: Payment | None, amount: Decimal | None) -> Decimal | PaymentResult:
    if payment is None or payment.status in (Status.PENDING, Status.FAILED, Status.VOIDED):
        return payment_result(payment)  # nothing was taken: nothing to give back
    if payment.status == Status.AUTHORIZED:
        raise InvalidTransition(
            "Nothing was captured; void the authorization instead.",
            details={"status": payment.status, "operation": "refund"},
        )
    refundable = payment.captured_amount - payment.refunded_amount - _held(payment, Kind.REFUND)
    if amount is None:
        return refundable if refundable > 0 else payment_result(payment)
    if amount > refundable:
        raise RefundExceedsCaptured(
            f"Cannot refund {amount}: {max(refundable, Decimal('0'))} was captured and not yet refunded.",
            details={"order_number": payment.order_number, "refundable": str(max(refundable, Decimal("0")))},
        )
    return amount


def _increment_amount(payment: Payment | None, amount: Decimal | None) -> Decimal | PaymentResult:
    if payment is None or payment.status not in _MONEY_STATUSES or payment.capture_closed:
        status = payment.status if payment else Status.PENDING
        raise InvalidTransition(
            f"Cannot authorize more on a payment that is {status}.",
            details={"status": status, "operation": "authorize_more"},
        )
    if amount is None or amount <= 0:
        raise InvalidInput("Amount must be positive.", field="amount")
    return amount


_DECIDE = {Kind.CAPTURE: _capture_amount, Kind.REFUND: _refund_amount, Kind.INCREMENT: _increment_amount}


def _apply(payment: Payment, operation: PaymentOperation) -> None:
    """The provider said yes (or there is no provider): count the operation once."""
    if operation.kind == Kind.CAPTURE:
        payment.captured_amount += operation.amount
        payment.capture_closed = payment.capture_closed or operation.final
    elif operation.kind == Kind.REFUND:
        payment.refunded_amount += operation.amount
    else:
        payment.amount += operation.amount
    if stamp := _KIND_TIMESTAMP.get(operation.kind):
        setattr(payment, stamp, timezone.now())
    payment.status = payment_status_from_amounts(
        authorized=payment.amount,
        captured=payment.captured_amount,
        refunded=payment.refunded_amount,
        capture_closed=payment.capture_closed,
    )
    payment.failure_reason = ""
    payment.save()  # the CHECK constraint refuses a sum past the invariant, whatever happened above
    operation.status = OpStatus.SUCCEEDED
    operation.save(update_fields=["status", "updated_at"])


def _ask_provider(provider: PaymentProvider, payment: Payment, operation: PaymentOperation) -> ProviderResult:
    common = {
        "idempotency_key": operation.idempotency_key,
        "authorization_id": payment.authorization_id,
        "amount": operation.amount,
        "currency": payment.currency,
    }
    if operation.kind == Kind.CAPTURE:
        return provider.capture(**common, final=operation.final)
    if operation.kind == Kind.REFUND:
        return provider.refund(**common)
    return provider.increment(**common)


def _move_money(
    kind: str, *, order_number: str, idempotency_key: str, amount: str | Decimal | None, final: bool = False
) -> PaymentResult:
    """Capture, refund or increment: decide and hold the amount under the payment's row lock (a pending
    ``PaymentOperation``), ask the provider outside any lock, apply once under the lock again. The same key
    twice moves money once: a repeat answers the first outcome (a declined one raises again)."""
    if not idempotency_key:
        raise InvalidInput("An idempotency key is required.", field="idempotency_key")
    provider = get_provider()
    with transaction.atomic():
        payment = _locked(order_number)
        operation = PaymentOperation.objects.filter(idempotency_key=idempotency_key).first()
        if operation is None:
            value = None if amount in (None, "") else _validated_amount(amount, payment.currency if payment else "EUR")
            decided = _DECIDE[kind](payment, value)
            if isinstance(decided, PaymentResult):
                return decided
            assert payment is not None
            operation = PaymentOperation.objects.create(
                payment=payment, kind=kind, idempotency_key=idempotency_key, amount=decided, final=final
            )
            if payment.method == METHOD_EXTERNAL or (decided == 0 and kind != Kind.INCREMENT):
                _apply(payment, operation)  # nothing to ask a PSP: the partner collected, or nothing moves
                return payment_result(payment)
        elif payment is None or operation.payment_id != payment.pk or operation.kind != kind:
            raise InvalidInput(f"Idempotency key {idempotency_key!r} was used for another operation.")
        if operation.status == OpStatus.SUCCEEDED:
            return payment_result(payment)
        if operation.status == OpStatus.DECLINED:
            raise _declined(payment, ProviderResult(status=DECLINED, decline_reason=operation.decline_reason))

    hand_back_connection()
    result = _ask_provider(provider, payment, operation)

    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        operation = PaymentOperation.objects.select_for_update().get(pk=operation.pk)
        if operation.status == OpStatus.PENDING:
            if result.succeeded:
                _apply(payment, operation)
            else:
                operation.status, operation.decline_reason = OpStatus.DECLINED, result.decline_reason
                operation.save(update_fields=["status", "decline_reason", "updated_at"])
                payment.failure_reason = result.decline_reason
                payment.save(update_fields=["failure_reason", "updated_at"])
    if operation.status == OpStatus.DECLINED:
        raise _declined(payment, ProviderResult(status=DECLINED, decline_reason=operation.decline_reason))
    return payment_result(payment)


def payment_capture(
    *, order_number: str, idempotency_key: str, amount: str | Decimal | None = None, final: bool = False
) -> PaymentResult:
    """At each shipment: capture ``amount`` (None: everything authorized and not yet captured, which also
    completes the capture). Several captures per authorization, together at most what is authorized (more:
    ``InvalidTransition``); ``final`` (the order's last shipment) releases what stays uncaptured. Nothing left
    to capture and ``amount`` None: returned as is. A provider refusal (e.g. ``authorization_expired``) raises
    ``PaymentDeclined``; a payment not authorized raises ``InvalidTransition``."""
    return _move_money(
        Kind.CAPTURE,
        order_number=order_number,
        idempotency_key=idempotency_key,
        amount=amount,
        final=final or amount in (None, ""),
    )


def payment_refund(*, order_number: str, idempotency_key: str, amount: str | Decimal | None = None) -> PaymentResult:
    """Refund ``amount`` (None: everything captured and not yet refunded; nothing left: returned as is).
    Partial refunds add up; more than is refundable raises ``RefundExceedsCaptured`` and refunds nothing, even
    when two refunds race (each holds its amount under the row lock before the provider is asked; the CHECK
    constraint is the backstop). No payment, pending, failed or voided: a no-op returning the status; authorized
    and nothing captured (void it instead): ``InvalidTransition``."""
    return _move_money(Kind.REFUND, order_number=order_number, idempotency_key=idempotency_key, amount=amount)


def payment_authorize_more(*, order_number: str, idempotency_key: str, amount: str | Decimal) -> PaymentResult:
    """Incremental authorization (an edit raised the order's total past what is authorized): ``amount`` more on
    the same authorization, or ``PaymentDeclined`` with nothing changed. Only while capture is still open."""
    return _move_money(Kind.INCREMENT, order_number=order_number, idempotency_key=idempotency_key, amount=amount)
