"""Payments of orders: authorize at checkout, capture at shipment, void on cancel, refund after capture.

Each service is three short steps so that no database transaction is held open across the provider call:
decide under a row lock on the order's ``Payment``; call the provider with an idempotency key; apply the
answer under the lock again (re-checking, since another call may have won meanwhile). Every service is
idempotent and safe to run twice or concurrently; rules and examples in docs/payments.md.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from oms_project.connections import hand_back_connection
from oms_project.errors import InvalidInput, InvalidTransition
from oms_project.money import is_supported_currency, parse_amount, quantize
from payments.contracts import METHOD_CARD, METHOD_EXTERNAL, PaymentResult
from payments.errors import PaymentDeclined
from payments.models import Payment
from payments.providers import PaymentProvider, ProviderResult, get_provider

Status = Payment.Status
_TIMESTAMP = {
    Status.AUTHORIZED: "authorized_at",
    Status.CAPTURED: "captured_at",
    Status.VOIDED: "voided_at",
    Status.REFUNDED: "refunded_at",
}
# A refusal that only says "this already happened" (another key got there first) counts as done.
_ALREADY_DONE = {
    "already_captured": Status.CAPTURED,
    "already_voided": Status.VOIDED,
    "already_refunded": Status.REFUNDED,
}


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
    )


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
        payment, _ = Payment.objects.select_for_update().get_or_create(
            order_number=order_number,
            defaults={
                "method": method,
                "provider": provider.name if method == METHOD_CARD else "",
                "amount": value,
                "currency": currency,
                "authorize_key": idempotency_key,
            },
        )
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


def _follow_up(
    *, order_number: str, idempotency_key: str, operation: str, allowed_from: str, target: str, noop: tuple[str, ...]
) -> PaymentResult:
    """Capture / void / refund: ``allowed_from`` -> ``target`` through the provider; ``noop`` statuses answer
    as they are; anything else is an ``InvalidTransition``."""
    provider = get_provider()
    with transaction.atomic():
        payment = _locked(order_number)
        if payment is None and target == Status.CAPTURED:
            raise InvalidTransition("Nothing was authorized to capture.", details={"status": Status.PENDING})
        if payment is None or payment.status in (*noop, target):
            return payment_result(payment)
        settle_first = payment.status == Status.PENDING and target == Status.VOIDED
        if not settle_first:
            _check_follow_up(payment, operation, allowed_from)
            if payment.method == METHOD_EXTERNAL:
                _move(payment, target)
                return payment_result(payment)
    if settle_first:
        _settle_pending(payment, provider)  # then decide again on what it became
        return _follow_up(
            order_number=order_number,
            idempotency_key=idempotency_key,
            operation=operation,
            allowed_from=allowed_from,
            target=target,
            noop=noop,
        )

    call = getattr(provider, operation)
    kwargs = {"idempotency_key": idempotency_key, "authorization_id": payment.authorization_id}
    if operation != "void":
        kwargs.update(amount=payment.amount, currency=payment.currency)
    hand_back_connection()
    result = call(**kwargs)

    refused = False
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status == allowed_from:
            if result.succeeded or _ALREADY_DONE.get(result.decline_reason) == target:
                _move(payment, target, failure_reason="")
            else:
                payment.failure_reason = result.decline_reason
                payment.save(update_fields=["failure_reason", "updated_at"])
                refused = True
    if refused:
        raise _declined(payment, result)
    return payment_result(payment)


def payment_capture(*, order_number: str, idempotency_key: str) -> PaymentResult:
    """At shipment. Authorized -> captured; already captured/refunded: returned as is; otherwise
    ``InvalidTransition``; a provider refusal (e.g. ``authorization_expired``) raises ``PaymentDeclined``."""
    return _follow_up(
        order_number=order_number,
        idempotency_key=idempotency_key,
        operation="capture",
        allowed_from=Status.AUTHORIZED,
        target=Status.CAPTURED,
        noop=(Status.REFUNDED,),
    )


def payment_void(*, order_number: str, idempotency_key: str) -> PaymentResult:
    """Compensation of authorize. Authorized -> voided. No payment, failed, voided or refunded: a no-op
    returning the status; pending (nothing authorized yet) is closed as voided; captured: ``InvalidTransition``."""
    return _follow_up(
        order_number=order_number,
        idempotency_key=idempotency_key,
        operation="void",
        allowed_from=Status.AUTHORIZED,
        target=Status.VOIDED,
        noop=(Status.FAILED, Status.REFUNDED),
    )


def payment_refund(*, order_number: str, idempotency_key: str) -> PaymentResult:
    """Captured -> refunded (full amount). No payment, pending, failed or voided: a no-op returning the
    status; authorized (not captured: void it instead): ``InvalidTransition``."""
    return _follow_up(
        order_number=order_number,
        idempotency_key=idempotency_key,
        operation="refund",
        allowed_from=Status.CAPTURED,
        target=Status.REFUNDED,
        noop=(Status.PENDING, Status.FAILED, Status.VOIDED),
    )
