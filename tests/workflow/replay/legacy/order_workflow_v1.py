# Frozen copy of orders/workflows.py as of commit 0aeb13a (before shipment, delivery events, SLA and webhooks).
# Never edit: tests/workflow/replay/test_order_upgrade.py runs it to prove that orders started by that code
# continue on the current code (docs/orders.md "Workflow versioning").
"""OrderWorkflow: record -> saga (reserve stock -> authorize payment -> request delivery) -> confirmed, then
wait for what happens to a confirmed order (cancel now; shipment and delivery events next).

Deterministic code only: contracts, domain rules and the saga helper; activities are called by name.
Short database steps run as local activities (no server round trip each); the payment authorization, an
external call that can be slow, is a regular activity with its own retry policy.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from catalog.contracts import STOCK_RELEASE, STOCK_RESERVE, ReserveInput, ReserveResult, StockLine, StockOrderInput
    from orders.contracts import (
        DELIVERY_CANCEL,
        DELIVERY_REQUEST,
        ORDER_APPLY,
        ORDER_RECORD,
        ApplyInput,
        CancelInput,
        DeliveryRequestInput,
        DeliveryRequestResult,
        EventInput,
        OrderProgress,
        PlaceOrderInput,
        activity_key,
        business_error,
    )
    from orders.domain import DeliveryStatus, FailureReason, PaymentStatus, Status, is_cancellable
    from payments.contracts import PAYMENT_AUTHORIZE, PAYMENT_VOID, AuthorizeInput, PaymentOrderInput, PaymentResult
    from sagas.saga import Saga

# Database steps: retried (transient faults) until they succeed; a DomainError comes back non-retryable.
LOCAL_STEP: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=15),
    "retry_policy": RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=5)),
}
# The payment provider: transient failures retry with backoff; a decline is non-retryable. After ten minutes
# without an answer the order fails and the void compensation makes sure nothing stays authorized.
PAYMENT_STEP: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "schedule_to_close_timeout": timedelta(minutes=10),
    "heartbeat_timeout": timedelta(seconds=10),  # a killed worker's attempt is retried after this, not 30 s
    "retry_policy": RetryPolicy(initial_interval=timedelta(milliseconds=500), maximum_interval=timedelta(seconds=10)),
}

BUSINESS_FAILURES = {FailureReason.INSUFFICIENT_STOCK.value, FailureReason.PAYMENT_DECLINED.value}

# Timeline event written when each saga step's compensation has run.
COMPENSATION_EVENTS = {
    "reserve_stock": "stock_released",
    "authorize_payment": "payment_voided",
    "request_delivery": "delivery_cancelled",
}


class _CancelRequested(Exception):
    """Raised between saga steps when a cancel update arrived while the saga was running."""


@workflow.defn(name="OrderWorkflow")
class OrderWorkflow:
    def __init__(self) -> None:
        self._number = ""
        self._step = "starting"
        self._saga_step = ""
        self._status: str = Status.CREATED
        self._payment_status: str = PaymentStatus.PENDING
        self._delivery_status: str = DeliveryStatus.NONE
        self._failure_reason = ""
        self._cancel_reason = ""
        self._recorded = False
        self._cancel: CancelInput | None = None
        self._actor = "system"
        self._writes = 0
        self._deferred: list[EventInput] = []
        self._authorization: PaymentResult | None = None
        self._saga = Saga(on_compensation=self._compensated)

    # --- the process ---------------------------------------------------------------------------------------
    @workflow.run
    async def run(self, inp: PlaceOrderInput) -> str:
        self._number = inp.number
        self._actor = inp.actor
        self._step = "record"
        await workflow.execute_local_activity(ORDER_RECORD, inp, **LOCAL_STEP)
        self._recorded = True
        try:
            await self._checkout(inp)
        except _CancelRequested:
            await self._cancel_order()
        except FailureError as error:  # ActivityError; a local activity's failure can arrive unwrapped
            await self._fail(_failure_reason(error), error)
        else:
            await self._await_fulfilment()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._status

    async def _checkout(self, inp: PlaceOrderInput) -> None:
        number = inp.number
        self._begin("reserve_stock")
        self._saga.add_compensation(
            "reserve_stock", STOCK_RELEASE, StockOrderInput(number, self._key("stock.release")), local=True
        )
        lines = [StockLine(sku=line.sku, quantity=line.quantity) for line in inp.lines]
        reserved = await workflow.execute_local_activity(
            STOCK_RESERVE,
            ReserveInput(order_number=number, lines=lines, idempotency_key=self._key("stock.reserve")),
            result_type=ReserveResult,
            **LOCAL_STEP,
        )
        allocations = [{"sku": a.sku, "warehouse": a.warehouse, "quantity": a.quantity} for a in reserved.allocations]
        # Recorded with the next write (one local activity fewer per order), stamped with its own time.
        self._defer("stock_reserved", {"allocations": allocations})

        self._begin("authorize_payment")
        self._saga.add_compensation("authorize_payment", PAYMENT_VOID, PaymentOrderInput(number, self._key("void")))
        self._authorization = await workflow.execute_activity(
            PAYMENT_AUTHORIZE,
            AuthorizeInput(
                order_number=number,
                amount=inp.total,
                currency=inp.currency,
                method=inp.payment.method,
                token=inp.payment.token,
                idempotency_key=self._key("payment.authorize"),
            ),
            result_type=PaymentResult,
            **PAYMENT_STEP,
        )
        self._payment_status = PaymentStatus.AUTHORIZED
        auth = self._authorization
        await self._apply(
            "payment_authorized",
            {"authorization_id": auth.authorization_id, "amount": auth.amount, "expires_at": auth.expires_at},
            payment_status=PaymentStatus.AUTHORIZED,
        )

        self._begin("request_delivery")
        self._saga.add_compensation(
            "request_delivery",
            DELIVERY_CANCEL,
            DeliveryRequestInput(number, self._key("delivery.cancel")),
            local=True,
        )
        delivery = await workflow.execute_local_activity(
            DELIVERY_REQUEST,
            DeliveryRequestInput(number, self._key("delivery.request")),
            result_type=DeliveryRequestResult,
            **LOCAL_STEP,
        )
        self._begin("confirm")
        self._status = Status.CONFIRMED
        await self._apply(
            "delivery_requested",
            {"reference": delivery.reference, "provider": delivery.provider},
            more=[EventInput("confirmed", {})],
            status=Status.CONFIRMED,
            delivery_reference=delivery.reference,
        )

    async def _await_fulfilment(self) -> None:
        """A confirmed order waits here. The next steps (ship, delivery events, capture) add conditions to this
        wait; the authorization-expiry timer cancels an order that was never shipped in time."""
        self._step = "awaiting_shipment"
        try:
            await workflow.wait_condition(lambda: self._cancel is not None, timeout=self._until_authorization_expires())
        except TimeoutError:
            self._cancel = CancelInput(reason="payment_authorization_expired", actor="system")
        await self._cancel_order()

    def _until_authorization_expires(self) -> timedelta | None:
        expires_at = self._authorization.expires_at if self._authorization else None
        if not expires_at:
            return None  # external payments do not expire
        remaining = datetime.fromisoformat(expires_at) - workflow.now()
        return max(remaining, timedelta(seconds=1))

    async def _fail(self, reason: str, error: FailureError) -> None:
        self._step = "compensating"
        self._failure_reason = reason
        detail = _root_cause(error).message
        await self._apply("step_failed", {"step": self._saga_step, "reason": reason, "detail": detail})
        await self._saga.compensate()
        self._status = Status.FAILED
        if reason == FailureReason.PAYMENT_DECLINED:
            self._payment_status = PaymentStatus.FAILED
        elif self._payment_status == PaymentStatus.AUTHORIZED:
            self._payment_status = PaymentStatus.VOIDED
        self._step = "failed"
        await self._apply(
            "failed",
            {"reason": reason},
            status=Status.FAILED,
            failure_reason=reason,
            payment_status=self._payment_status,
        )

    async def _cancel_order(self) -> None:
        cancel = self._cancel
        assert cancel is not None
        self._step = "cancelling"
        self._cancel_reason = cancel.reason
        await self._apply("cancel_requested", {"reason": cancel.reason}, actor=cancel.actor)
        await self._saga.compensate()
        if self._payment_status == PaymentStatus.AUTHORIZED:
            self._payment_status = PaymentStatus.VOIDED
        self._status = Status.CANCELLED
        self._step = "cancelled"
        await self._apply(
            "cancelled",
            {"reason": cancel.reason},
            actor=cancel.actor,
            status=Status.CANCELLED,
            cancel_reason=cancel.reason,
            payment_status=self._payment_status,
        )

    # --- messages -----------------------------------------------------------------------------------------
    @workflow.update
    async def recorded(self, number: str) -> str:
        """Completes once the order row exists: the API answers 201 with the recorded order."""
        await workflow.wait_condition(lambda: self._recorded)
        return self._number

    @workflow.update
    async def cancel(self, inp: CancelInput) -> str:
        self._cancel = inp
        await workflow.wait_condition(lambda: self._status in (Status.CANCELLED, Status.FAILED))
        return self._status

    @cancel.validator
    def validate_cancel(self, inp: CancelInput) -> None:
        if not inp.reason.strip():
            raise business_error("validation_error", "A cancel reason is required.")
        if self._cancel is not None:
            raise business_error("not_cancellable", f"Order {self._number} is already being cancelled.")
        if not is_cancellable(self._status) or self._step in ("compensating", "failed"):
            raise business_error("not_cancellable", f"Order {self._number} is {self._status}; it cannot be cancelled.")

    @workflow.query
    def progress(self) -> OrderProgress:
        return OrderProgress(
            number=self._number,
            step=self._step,
            status=self._status,
            payment_status=self._payment_status,
            delivery_status=self._delivery_status,
            failure_reason=self._failure_reason,
            cancel_reason=self._cancel_reason,
            cancel_requested=self._cancel is not None,
            pending_compensations=list(self._saga.pending),
        )

    # --- helpers ------------------------------------------------------------------------------------------
    def _begin(self, step: str) -> None:
        if self._cancel is not None:
            raise _CancelRequested
        self._step = step
        self._saga_step = step

    def _key(self, step: str) -> str:
        return activity_key(workflow.info().workflow_id, step)

    async def _compensated(self, record: Any) -> None:
        step = getattr(record, "step", "")
        await self._apply(
            COMPENSATION_EVENTS.get(step, "compensated"),
            {"step": step, "activity": getattr(record, "activity", "")},
        )

    def _defer(self, event_type: str, data: dict[str, Any]) -> None:
        self._deferred.append(EventInput(event_type, data, at=workflow.now().isoformat()))

    async def _apply(
        self,
        event_type: str,
        data: dict[str, Any],
        *,
        more: list[EventInput] | None = None,
        actor: str | None = None,
        **changes: str,
    ) -> None:
        """One read-model write (status fields + events); its key is the write's sequence number in this run."""
        self._writes += 1
        await workflow.execute_local_activity(
            ORDER_APPLY,
            ApplyInput(
                number=self._number,
                idempotency_key=self._key(f"w{self._writes}:{event_type}"),
                actor=actor or "system",
                at=workflow.now().isoformat(),
                events=[*self._deferred, EventInput(event_type, data), *(more or [])],
                **changes,
            ),
            **LOCAL_STEP,
        )
        self._deferred = []


def _root_cause(error: FailureError) -> FailureError:
    return error.cause if isinstance(error, ActivityError) and isinstance(error.cause, FailureError) else error


def _failure_reason(error: FailureError) -> str:
    cause = _root_cause(error)
    if isinstance(cause, ApplicationError) and cause.type in BUSINESS_FAILURES:
        return cause.type
    return FailureReason.STEP_FAILED
