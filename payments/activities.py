"""Payment activities for the order workflow: sync, one service call each (names in ``payments.contracts``).

``PaymentDeclined`` / ``InvalidTransition`` become non-retryable ``ApplicationError``s (``orm_activity``);
``ProviderUnavailable`` and infrastructure errors stay plain exceptions, so the retry policy retries them.
"""

from __future__ import annotations

from temporalio import activity

from oms_project.activities import orm_activity
from payments import services
from payments.contracts import (
    PAYMENT_AUTHORIZE,
    PAYMENT_AUTHORIZE_MORE,
    PAYMENT_CAPTURE,
    PAYMENT_REFUND,
    PAYMENT_VOID,
    AuthorizeInput,
    AuthorizeMoreInput,
    PaymentOrderInput,
    PaymentResult,
)


@activity.defn(name=PAYMENT_AUTHORIZE)
@orm_activity
def payment_authorize(inp: AuthorizeInput) -> PaymentResult:
    return services.payment_authorize(
        order_number=inp.order_number,
        amount=inp.amount,
        currency=inp.currency,
        method=inp.method,
        token=inp.token,
        idempotency_key=inp.idempotency_key,
    )


@activity.defn(name=PAYMENT_CAPTURE)
@orm_activity
def payment_capture(inp: PaymentOrderInput) -> PaymentResult:
    return services.payment_capture(
        order_number=inp.order_number, idempotency_key=inp.idempotency_key, amount=inp.amount or None, final=inp.final
    )


@activity.defn(name=PAYMENT_VOID)
@orm_activity
def payment_void(inp: PaymentOrderInput) -> PaymentResult:
    return services.payment_void(order_number=inp.order_number, idempotency_key=inp.idempotency_key)


@activity.defn(name=PAYMENT_REFUND)
@orm_activity
def payment_refund(inp: PaymentOrderInput) -> PaymentResult:
    return services.payment_refund(
        order_number=inp.order_number, idempotency_key=inp.idempotency_key, amount=inp.amount or None
    )


@activity.defn(name=PAYMENT_AUTHORIZE_MORE)
@orm_activity
def payment_authorize_more(inp: AuthorizeMoreInput) -> PaymentResult:
    return services.payment_authorize_more(
        order_number=inp.order_number, idempotency_key=inp.idempotency_key, amount=inp.amount
    )
