"""OrderWorkflowV1 (workflow type "OrderWorkflow"), frozen: the order process of orders placed before the
order process v2 (orders/workflows.py, type "OrderProcess"; ADR 0044). Running orders of this type replay and
finish on this code; new orders never start it. Retire it (delete the module, its worker registration and its
replay histories) once `temporal workflow count --query 'WorkflowType="OrderWorkflow" AND ExecutionStatus="Running"'`
answers 0. Do not change its commands: it has no patches of its own any more.

The process: record -> saga (reserve stock -> authorize payment -> request delivery) -> confirmed ->
ship (capture payment, fulfil stock) -> shipped -> delivery events -> delivered (or, not delivered: refund,
restock, cancelled). Durable timers cancel an order not shipped before its authorization expires and flag an
order that stays in a status longer than its SLA. Each transition publishes a webhook event.

Versioning (docs/orders.md "Workflow versioning"): code paths that would change the commands of an order
recorded by earlier code are behind ``workflow.patched`` (SLA_PATCH, WEBHOOK_PATCH).

Deterministic code only: contracts, domain rules and the saga helper; activities are called by name.
Short database steps run as local activities (no server round trip each); the payment authorization, an
external call that can be slow, is a regular activity with its own retry policy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, FailureError

with workflow.unsafe.imports_passed_through():
    from catalog.contracts import (
        STOCK_FULFIL,
        STOCK_RELEASE,
        STOCK_RESERVE,
        STOCK_RESTOCK,
        ReserveInput,
        ReserveResult,
        StockLine,
        StockOrderInput,
    )
    from orders.contracts import (
        DELIVERY_CANCEL,
        DELIVERY_REQUEST,
        ORDER_APPLY,
        ORDER_RECORD,
        UPDATE_EDIT,
        ApplyInput,
        CancelInput,
        ChangeDeliveryInput,
        DeliveryEventInput,
        DeliveryEventResult,
        DeliveryRequestInput,
        DeliveryRequestResult,
        EditInput,
        EventInput,
        OrderProgress,
        PlaceOrderInput,
        ShipInput,
        activity_key,
        business_error,
    )
    from orders.domain import (
        DELIVERY_EVENT_STATUSES,
        CancelReason,
        DeliveryStatus,
        FailureReason,
        PaymentStatus,
        Status,
        delivery_advances,
        delivery_event_allowed,
        is_cancellable,
        is_delivery_changeable,
    )
    from orders.steps import (
        CAPTURE_STEP,
        COMPENSATION_EVENTS,
        LOCAL_STEP,
        PAYMENT_STEP,
        failure_reason,
        root_cause,
    )
    from payments.contracts import (
        PAYMENT_AUTHORIZE,
        PAYMENT_CAPTURE,
        PAYMENT_REFUND,
        PAYMENT_VOID,
        AuthorizeInput,
        PaymentOrderInput,
        PaymentResult,
    )
    from sagas.saga import Saga
    from webhooks.contracts import PUBLISH, PublishInput, order_event_dedupe_key

# Publishing a webhook event only records it and starts delivery workflows. It runs beside the order (never
# awaited by a step) and gives up after an hour: a webhook problem never holds an order back.
PUBLISH_STEP: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=10),
    "schedule_to_close_timeout": timedelta(hours=1),
    "retry_policy": RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)),
}

# Patch ids (never rename): orders recorded before these existed replay without SLA timers / webhook calls.
SLA_PATCH = "order-sla-timers"
# Fewer round trips per order: webhook events are recorded by the read-model writes themselves (record/apply, one
# transaction each) instead of a ``webhooks.publish`` activity per event (two activity tasks and two workflow
# tasks fewer), and ``payment_authorized`` is written with the confirm write (one local activity fewer).
LEAN_PATCH = "order-fewer-round-trips"
WEBHOOK_PATCH = "order-webhook-{event_type}"  # one per event type, so a running old order still publishes
# the events of transitions that happen after the deploy (shipped, delivered, cancelled).


class _CancelRequested(Exception):
    """Raised between saga steps when a cancel update arrived while the saga was running."""


@workflow.defn(name="OrderWorkflow")
class OrderWorkflowV1:
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
        # After shipment: refund the capture and restock the fulfilled stock when the parcel is not delivered.
        self._returns = Saga(on_compensation=self._compensated)
        self._partner_id: int | None = None
        self._sla_hours: dict[str, float] = {}
        self._status_since: datetime | None = None
        self._written_status: str = Status.CREATED  # the read model's status (handlers answer after it)
        self._shipment: ShipInput | None = None
        self._delivery_changes = 0  # change_delivery writes in flight; shipment waits for them
        self._event_ids: set[str] = set()
        self._event_lock = asyncio.Lock()
        self._final_delivery_written = False
        self._publishing: list[Any] = []
        self._lean = False  # LEAN_PATCH
        self._deferred_changes: dict[str, Any] = {}

    # --- the process ---------------------------------------------------------------------------------------
    @workflow.run
    async def run(self, inp: PlaceOrderInput) -> str:
        self._number = inp.number
        self._actor = inp.actor
        self._partner_id = inp.partner_id
        self._sla_hours = dict(inp.sla_hours or {})
        self._step = "record"
        # Orders recorded before LEAN_PATCH replay with their own commands (docs/orders.md "Workflow versioning").
        self._lean = workflow.patched(LEAN_PATCH)
        await workflow.execute_local_activity(ORDER_RECORD, inp, **LOCAL_STEP)  # records order.created too
        self._recorded = True
        if not self._lean:
            self._publish("order.created")
        try:
            await self._checkout(inp)
        except _CancelRequested:
            await self._cancel_order()
        except FailureError as error:  # ActivityError; a local activity's failure can arrive unwrapped
            await self._fail(failure_reason(error), error)
        else:
            await self._await_fulfilment()
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._publishing:
            await asyncio.gather(*self._publishing, return_exceptions=True)
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
        authorized = {"authorization_id": auth.authorization_id, "amount": auth.amount, "expires_at": auth.expires_at}
        if self._lean:  # written with the next write (the confirm, or step_failed / cancel_requested)
            self._defer("payment_authorized", authorized, payment_status=PaymentStatus.AUTHORIZED)
        else:
            await self._apply("payment_authorized", authorized, payment_status=PaymentStatus.AUTHORIZED)

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
            publish="order.confirmed",
            status=Status.CONFIRMED,
            delivery_reference=delivery.reference,
        )

    async def _await_fulfilment(self) -> None:
        """A confirmed order waits for shipment or a cancel; the authorization-expiry timer cancels it when it
        was not shipped in time. A shipped order waits for a final delivery event. SLA timers flag an order
        that stays too long in either status."""
        self._step = "awaiting_shipment"
        sla = workflow.patched(SLA_PATCH)
        self._status_since = workflow.now()
        in_time = await self._wait(
            lambda: self._cancel is not None or self._shipment is not None,
            status=Status.CONFIRMED,
            expires_at=self._authorization_expires_at(),
            sla=sla,
        )
        if not in_time:
            self._cancel = CancelInput(reason=CancelReason.AUTHORIZATION_EXPIRED, actor="system")
        if self._cancel is not None:
            await self._cancel_order()
            return
        await self._ship()
        if self._status != Status.SHIPPED:
            return  # the capture was refused: cancelled
        self._step = "awaiting_delivery"
        self._status_since = workflow.now()
        await self._wait(lambda: self._final_delivery_written, status=Status.SHIPPED, expires_at=None, sla=sla)
        if self._delivery_status == DeliveryStatus.DELIVERED:
            await self._deliver()
        else:
            await self._return_shipment()

    async def _wait(self, done: Callable[[], bool], *, status: str, expires_at: datetime | None, sla: bool) -> bool:
        """Wait until ``done()``; one durable timer for the nearest deadline. Passing the SLA flags the order
        and keeps waiting; passing ``expires_at`` returns False. Without SLA (orders recorded before it) this
        is the one wait-with-timeout of earlier code, so their histories replay."""
        sla_at = self._sla_deadline(status) if sla else None
        while True:
            target = min((d for d in (expires_at, sla_at) if d is not None), default=None)
            timeout = max(target - workflow.now(), timedelta(seconds=1)) if target is not None else None
            try:
                await workflow.wait_condition(done, timeout=timeout)
                return True
            except TimeoutError:
                if target == expires_at:
                    return False
                await self._apply(
                    "sla_breached",
                    {"status": status, "hours": self._sla_hours.get(status)},
                    sla_breached_status=status,
                )
                sla_at = None

    def _sla_deadline(self, status: str) -> datetime | None:
        hours = self._sla_hours.get(status)
        if not hours or self._status_since is None:
            return None
        return self._status_since + timedelta(hours=hours)

    def _authorization_expires_at(self) -> datetime | None:
        expires_at = self._authorization.expires_at if self._authorization else None
        return datetime.fromisoformat(expires_at) if expires_at else None  # external payments do not expire

    async def _ship(self) -> None:
        """Capture the payment, then take the reserved stock off the shelf; both compensations (refund,
        restock) are registered for a parcel that is not delivered."""
        shipment = self._shipment
        assert shipment is not None
        self._step = "shipping"
        await workflow.wait_condition(lambda: self._delivery_changes == 0)
        number = self._number
        try:
            captured = await workflow.execute_activity(
                PAYMENT_CAPTURE,
                PaymentOrderInput(number, self._key("payment.capture")),
                result_type=PaymentResult,
                **CAPTURE_STEP,
            )
        except ActivityError as error:
            await self._apply("capture_failed", {"detail": root_cause(error).message}, actor=shipment.actor)
            self._cancel = CancelInput(reason=CancelReason.CAPTURE_FAILED, actor="system")
            await self._cancel_order()
            return
        self._payment_status = PaymentStatus.CAPTURED
        self._returns.add_compensation(
            "capture_payment", PAYMENT_REFUND, PaymentOrderInput(number, self._key("refund"))
        )
        self._returns.add_compensation(
            "fulfil_stock", STOCK_RESTOCK, StockOrderInput(number, self._key("stock.restock")), local=True
        )
        fulfilled = await workflow.execute_local_activity(
            STOCK_FULFIL,
            StockOrderInput(number, self._key("stock.fulfil")),
            result_type=ReserveResult,
            **LOCAL_STEP,
        )
        tracking = {"carrier": shipment.carrier, "tracking_number": shipment.tracking_number}
        await self._apply(
            "payment_captured",
            {"amount": captured.amount, "currency": captured.currency},
            more=[
                EventInput("stock_fulfilled", {"allocations": [a.__dict__ for a in fulfilled.allocations]}),
                EventInput("shipped", tracking),
            ],
            actor=shipment.actor,
            publish="order.shipped",
            status=Status.SHIPPED,
            payment_status=PaymentStatus.CAPTURED,
            tracking=tracking,
        )
        self._status = Status.SHIPPED

    async def _deliver(self) -> None:
        await self._apply("delivered", {}, publish="order.delivered", status=Status.DELIVERED)
        self._status = Status.DELIVERED
        self._step = "delivered"

    async def _return_shipment(self) -> None:
        """not_delivered: restock what was shipped and refund the capture (retried until done), then cancel."""
        self._step = "returning"
        self._cancel_reason = CancelReason.DELIVERY_FAILED
        await self._returns.compensate()
        self._payment_status = PaymentStatus.REFUNDED
        await self._apply(
            "cancelled",
            {"reason": CancelReason.DELIVERY_FAILED.value},
            publish="order.cancelled",
            status=Status.CANCELLED,
            cancel_reason=CancelReason.DELIVERY_FAILED.value,
            payment_status=PaymentStatus.REFUNDED,
        )
        self._status = Status.CANCELLED
        self._step = "cancelled"

    async def _fail(self, reason: str, error: FailureError) -> None:
        self._step = "compensating"
        self._failure_reason = reason
        detail = root_cause(error).message
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
            publish="order.failed",
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
            publish="order.cancelled",
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
        if not is_cancellable(self._status) or self._step in ("compensating", "failed") or self._shipment is not None:
            raise business_error("not_cancellable", f"Order {self._number} is {self._status}; it cannot be cancelled.")

    @workflow.update
    async def ship(self, inp: ShipInput) -> str:
        """Answers once the order is shipped (or cancelled, when the PSP refused the capture)."""
        self._shipment = inp
        await workflow.wait_condition(lambda: self._written_status != Status.CONFIRMED)
        return self._written_status

    @ship.validator
    def validate_ship(self, inp: ShipInput) -> None:
        if not inp.carrier.strip() or not inp.tracking_number.strip():
            raise business_error("validation_error", "carrier and tracking_number are required.")
        if self._cancel is not None:
            raise business_error("not_shippable", f"Order {self._number} is being cancelled; it cannot ship.")
        if self._status != Status.CONFIRMED or self._step != "awaiting_shipment":
            raise business_error(
                "not_shippable", f"Order {self._number} is {self._status}; only confirmed orders ship."
            )
        if self._shipment is not None:
            raise business_error("not_shippable", f"Order {self._number} is already being shipped.")
        if inp.lines is not None:  # split shipments came after this process (validators never enter history)
            raise business_error(
                "not_shippable", f"Order {self._number} was placed before split shipments; ship it in one shipment."
            )

    @workflow.update(name=UPDATE_EDIT)
    async def edit(self, inp: EditInput) -> str:
        return self._written_status  # never reached: the validator refuses every edit

    @edit.validator
    def validate_edit(self, inp: EditInput) -> None:
        raise business_error("not_editable", f"Order {self._number} was placed before order edits existed.")

    @workflow.update
    async def delivery_event(self, inp: DeliveryEventInput) -> DeliveryEventResult:
        """A carrier event. A repeated ``event_id`` changes nothing; an event ranked at or below the current
        delivery status is recorded on the timeline but never moves it backwards."""
        if inp.event_id in self._event_ids:
            return DeliveryEventResult(False, self._delivery_status, self._written_status)
        self._event_ids.add(inp.event_id)
        async with self._event_lock:  # one event at a time: the read model sees them in the order applied
            applied = delivery_advances(self._delivery_status, inp.status)
            if applied:
                self._delivery_status = inp.status
            await self._apply(
                "delivery_event",
                {"event_id": inp.event_id, "status": inp.status, "occurred_at": inp.occurred_at, "applied": applied},
                actor=inp.actor,
                **({"delivery_status": inp.status} if applied else {}),
            )
            if applied and inp.status in (DeliveryStatus.DELIVERED, DeliveryStatus.NOT_DELIVERED):
                self._final_delivery_written = True
        if self._final_delivery_written:
            await workflow.wait_condition(lambda: self._written_status in (Status.DELIVERED, Status.CANCELLED))
        return DeliveryEventResult(applied, self._delivery_status, self._written_status)

    @delivery_event.validator
    def validate_delivery_event(self, inp: DeliveryEventInput) -> None:
        if inp.status not in DELIVERY_EVENT_STATUSES or not inp.event_id:
            raise business_error("validation_error", "event_id and a known delivery status are required.")
        if inp.event_id in self._event_ids:
            return  # a repeat is accepted and ignored
        if self._cancel is not None or not delivery_event_allowed(self._status, inp.status):
            raise business_error(
                "delivery_event_not_allowed",
                f"Order {self._number} is {self._status}; a {inp.status} event is not allowed now.",
            )

    @workflow.update
    async def change_delivery(self, inp: ChangeDeliveryInput) -> str:
        self._delivery_changes += 1
        try:
            changed = {name: {"from": inp.previous.get(name), "to": value} for name, value in inp.changes.items()}
            await self._apply("delivery_changed", {"changed": changed}, actor=inp.actor, details=inp.changes)
        finally:
            self._delivery_changes -= 1
        return self._written_status

    @change_delivery.validator
    def validate_change_delivery(self, inp: ChangeDeliveryInput) -> None:
        if (
            not is_delivery_changeable(self._status)
            or self._shipment is not None
            or self._cancel is not None
            or self._step in ("compensating", "failed")
        ):
            raise business_error(
                "delivery_not_changeable", f"Order {self._number} is {self._status}; delivery can no longer change."
            )

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

    def _defer(self, event_type: str, data: dict[str, Any], **changes: Any) -> None:
        """An event (and status fields) written by the next write, stamped with its own time."""
        self._deferred.append(EventInput(event_type, data, at=workflow.now().isoformat()))
        self._deferred_changes.update(changes)

    async def _apply(
        self,
        event_type: str,
        data: dict[str, Any],
        *,
        more: list[EventInput] | None = None,
        actor: str | None = None,
        publish: str | None = None,
        **changes: Any,
    ) -> None:
        """One read-model write (status fields + events); its key is the write's sequence number in this run.
        ``publish`` names the webhook event of this transition: recorded by the same write (LEAN_PATCH), or,
        for orders recorded before that, by a ``webhooks.publish`` activity started right after it."""
        self._writes += 1
        # This write takes the deferred events now: a handler's write overlapping the saga's (change_delivery
        # during checkout) would otherwise carry them too (written twice under two keys), and clearing them
        # after the await would drop any deferred meanwhile.
        deferred, self._deferred = self._deferred, []
        deferred_changes, self._deferred_changes = self._deferred_changes, {}
        try:
            await workflow.execute_local_activity(
                ORDER_APPLY,
                ApplyInput(
                    number=self._number,
                    idempotency_key=self._key(f"w{self._writes}:{event_type}"),
                    actor=actor or "system",
                    at=workflow.now().isoformat(),
                    events=[*deferred, EventInput(event_type, data), *(more or [])],
                    publish=[publish] if publish and self._lean else [],
                    **{**deferred_changes, **changes},
                ),
                **LOCAL_STEP,
            )
        except BaseException:  # failed or cancelled: nothing was written, the next write takes them (first)
            self._deferred = [*deferred, *self._deferred]
            self._deferred_changes = {**deferred_changes, **self._deferred_changes}
            raise
        if changes.get("status"):
            self._written_status = changes["status"]
        if publish and not self._lean:
            self._publish(publish)

    def _publish(self, event_type: str) -> None:
        """Orders recorded before LEAN_PATCH: start ``webhooks.publish`` beside the order (awaited only before
        the workflow ends); the activity renders the order body itself, so no order JSON passes through this
        workflow's history."""
        if self._partner_id is None or not workflow.patched(WEBHOOK_PATCH.format(event_type=event_type)):
            return
        self._publishing.append(
            workflow.start_activity(
                PUBLISH,
                PublishInput(
                    partner_id=self._partner_id,
                    event_type=event_type,
                    data={},
                    dedupe_key=order_event_dedupe_key(self._number, event_type),
                    order_number=self._number,
                ),
                **PUBLISH_STEP,
            )
        )
