"""The order process (workflow type "OrderProcess", one per order, ``order-<number>``): one state machine.

``run`` records the order, runs the checkout saga (reserve stock -> authorize payment -> request delivery) and then
serves the order's commands (ship, cancel, delivery events, delivery changes) one at a time until the order ends.

- Update handlers validate (their validators ask ``orders.domain``, before anything enters history) and *record*
  a ``Command``; they never write, call an activity or set a status. Each handler then waits for its own command's
  outcome; the client answers its caller within a few seconds whatever that takes (``temporal.update_within``:
  200 when done, else 202 with ``pending_action``).
- The run loop is the only writer. Every change reaches the read model through ``_write`` (one local activity:
  the row, its timeline events and its webhook outbox rows in one transaction), every status change through the
  domain's transition table (``domain.check_transition``). Webhook deliveries recorded by a write are started by a
  ``webhooks.dispatch`` activity on the webhook task queue, and customer e-mails by ``notifications.email_dispatch``
  on the e-mail task queue, never from inside the database write.
- Deadlines are durable timers in the loop's wait: the authorization's expiry cancels an unshipped order; an SLA
  timer flags an order that stays too long in ``confirmed`` or ``shipped``.
- ``OrderState`` is everything the process knows; the ``progress`` query shows it (step, pending action, pending
  commands and compensations).

Orders placed before this type existed run ``OrderWorkflowV1`` (type "OrderWorkflow", orders/workflows_v1.py)
until they end (ADR 0044). Changing this class's commands for running orders needs ``workflow.patched`` and a
replay test (docs/workflow-versioning.md). Deterministic code only: contracts, domain rules and the saga helper.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    import orders.domain as domain  # not "from app import domain" (test_sandbox_imports)
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
    from oms_project.money import quantize
    from orders.contracts import (
        DELIVERY_CANCEL,
        DELIVERY_REQUEST,
        ORDER_RECORD,
        ORDER_WORKFLOW,
        ORDER_WRITE,
        SHIPMENT_WORKFLOW,
        SIGNAL_SHIPMENT_DELIVERY,
        SIGNAL_SHIPMENT_REPORT,
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
        LineInput,
        OrderProgress,
        PlaceOrderInput,
        ShipInput,
        ShipLine,
        ShipmentDelivery,
        ShipmentInput,
        ShipmentReport,
        WriteResult,
        activity_key,
        business_error,
        shipment_workflow_id,
    )
    from orders.domain import (
        DELIVERY_EVENT_STATUSES,
        DELIVERY_FINAL,
        CancelReason,
        DeliveryStatus,
        FailureReason,
        OrderLineShare,
        PaymentStatus,
        PendingAction,
        Status,
    )
    from orders.steps import (
        CAPTURE_STEP,
        COMPENSATION_EVENTS,
        LOCAL_STEP,
        PAYMENT_STEP,
        failure_reason,
        root_cause,
        start_dispatches,
    )
    from orders.workflow_state import Command, OrderState, Outcome, ShipmentState
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
    from sagas.saga import CompensationRecord, Saga
    from vouchers.contracts import VOUCHER_REDEEM, VOUCHER_RELEASE, RedeemInput, ReleaseInput

# Orders placed with a voucher take one use of it as the saga's first step (docs/pricing.md). The step adds
# commands to the history, so it runs behind this patch (docs/workflow-versioning.md).
VOUCHER_PATCH = "redeem-voucher"

# Command kinds (what an update handler records for the run loop).
CANCEL = "cancel"
SHIP = "ship"
DELIVERY_EVENT = "delivery_event"
CHANGE_DELIVERY = "change_delivery"
SHIPMENT_SLA = "shipment_sla"  # a shipment reported its SLA passed
EDIT = "edit"
DROP_REMAINDER = "drop_remainder"  # the authorization expired with units still to ship
EXPIRY_CANCEL_ID = "authorization-expired"  # the command id of the cancel the expiry timer makes
# Orders whose shipments run as child workflows (one or several per order); histories recorded before it ship
# everything in one step of the order itself (docs/orders.md "Shipments", ADR 0120).
SPLIT_SHIPMENTS_PATCH = "split-shipments"


class _CancelRequested(Exception):
    """Raised between saga steps when a cancel was accepted while the saga was running."""


class _Refused(Exception):
    """A command the order can no longer honour when its turn comes (the order moved on since it was accepted)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.payload = {"code": code, "message": message, "field": None, "details": {}}


@workflow.defn(name=ORDER_WORKFLOW)
class OrderWorkflow:
    def __init__(self) -> None:
        self.state = OrderState()
        self._inp: PlaceOrderInput | None = None
        self._saga = Saga(on_compensation=self._compensated)  # checkout: release, void, cancel delivery
        self._returns = Saga(on_compensation=self._compensated)  # after shipment: refund, restock
        self._dispatching: list[Any] = []
        self._children: dict[int, workflow.ChildWorkflowHandle[Any, Any]] = {}  # shipments by seq

    # --- the process ---------------------------------------------------------------------------------------
    @workflow.run
    async def run(self, inp: PlaceOrderInput) -> str:
        state = self.state
        self._inp = inp
        state.number = inp.number
        state.lines, state.shipping, state.currency = _line_shares(inp), Decimal(inp.shipping), inp.currency
        state.total = Decimal(inp.total)
        state.line_inputs = list(inp.lines)
        state.step = "record"
        state.status_since = workflow.now().isoformat()
        created = await workflow.execute_local_activity(ORDER_RECORD, inp, result_type=WriteResult, **LOCAL_STEP)
        state.recorded = True
        self._dispatch(created)  # order.created, recorded with the order
        try:
            await self._checkout(inp)
        except _CancelRequested:
            await self._apply(self._take(state.cancel_id))
        except FailureError as error:  # ActivityError; a local activity's failure can arrive unwrapped
            await self._fail(failure_reason(error), error)
        while state.status not in domain.TERMINAL:
            await self._apply(await self._next_command())
        self._refuse_remaining()
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._children:
            await asyncio.gather(*self._children.values(), return_exceptions=True)
        if self._dispatching:
            await asyncio.gather(*self._dispatching, return_exceptions=True)
        return state.status

    async def _checkout(self, inp: PlaceOrderInput) -> None:
        number = inp.number
        if inp.voucher_code and workflow.patched(VOUCHER_PATCH):
            await self._redeem_voucher(inp)
        self._begin("reserve_stock")
        self._saga.add_compensation(
            "reserve_stock", STOCK_RELEASE, StockOrderInput(number, self._key("stock.release")), local=True
        )
        reserved = await workflow.execute_local_activity(
            STOCK_RESERVE,
            ReserveInput(
                order_number=number,
                lines=[StockLine(sku=line.sku, quantity=line.quantity) for line in inp.lines],
                idempotency_key=self._key("stock.reserve"),
            ),
            result_type=ReserveResult,
            **LOCAL_STEP,
        )
        allocations = [{"sku": a.sku, "warehouse": a.warehouse, "quantity": a.quantity} for a in reserved.allocations]
        self._defer("stock_reserved", {"allocations": allocations})  # written with the next write

        self._begin("authorize_payment")
        self._saga.add_compensation("authorize_payment", PAYMENT_VOID, PaymentOrderInput(number, self._key("void")))
        auth = await workflow.execute_activity(
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
        self.state.authorization = auth
        self.state.authorized = Decimal(auth.amount)
        self.state.payment_status = PaymentStatus.AUTHORIZED
        self._defer(
            "payment_authorized",
            {"authorization_id": auth.authorization_id, "amount": auth.amount, "expires_at": auth.expires_at},
        )

        self._begin("request_delivery")
        self._saga.add_compensation(
            "request_delivery", DELIVERY_CANCEL, DeliveryRequestInput(number, self._key("delivery.cancel")), local=True
        )
        delivery = await workflow.execute_local_activity(
            DELIVERY_REQUEST,
            DeliveryRequestInput(number, self._key("delivery.request")),
            result_type=DeliveryRequestResult,
            **LOCAL_STEP,
        )
        self._begin("confirm")
        await self._write(
            "delivery_requested",
            {"reference": delivery.reference, "provider": delivery.provider},
            more=[EventInput("confirmed", {})],
            publish="order.confirmed",
            status=Status.CONFIRMED,
            payment_status=PaymentStatus.AUTHORIZED,
            delivery_reference=delivery.reference,
        )
        self.state.step = "awaiting_shipment"

    async def _redeem_voucher(self, inp: PlaceOrderInput) -> None:
        """Take one use of the order's voucher, enforced by the database under the voucher's row lock (the last
        use goes to exactly one order; the others fail ``voucher_exhausted``). The compensation gives it back,
        exactly once (a failed or cancelled order, or a parcel not delivered)."""
        self._begin("redeem_voucher")
        self.state.voucher_code = inp.voucher_code
        self._saga.add_compensation(
            "redeem_voucher",
            VOUCHER_RELEASE,
            ReleaseInput(inp.number, self._key("voucher.release")),
            local=True,
        )
        await workflow.execute_local_activity(
            VOUCHER_REDEEM,
            RedeemInput(
                order_number=inp.number,
                code=inp.voucher_code,
                email=inp.contact.get("email", ""),
                subtotal=inp.subtotal,
                currency=inp.currency,
                idempotency_key=self._key("voucher.redeem"),
            ),
            **LOCAL_STEP,
        )
        self.state.voucher_redeemed = True
        self._defer("voucher_redeemed", {"code": inp.voucher_code, "discount": inp.discount})

    async def _fail(self, reason: str, error: FailureError) -> None:
        state = self.state
        state.step = "compensating"
        state.failure_reason = reason
        if reason == FailureReason.PAYMENT_DECLINED:
            state.payment_status = PaymentStatus.FAILED  # nothing was authorized: no "released" event follows
        await self._write(
            "step_failed",
            {"step": self._saga_step(), "reason": reason, "detail": root_cause(error).message},
            pending_action=PendingAction.COMPENSATION,
        )
        await self._saga.compensate()
        if state.payment_status == PaymentStatus.AUTHORIZED:
            state.payment_status = PaymentStatus.VOIDED
        state.step = "failed"
        await self._write(
            "failed",
            {"reason": reason},
            publish="order.failed",
            status=Status.FAILED,
            failure_reason=reason,
            payment_status=state.payment_status,
            pending_action="",
        )

    # --- the run loop: one command at a time ---------------------------------------------------------------
    async def _next_command(self) -> Command:
        """The next accepted command; meanwhile one durable timer for the nearest deadline. The authorization's
        expiry becomes a cancel (unless one is already waiting); an SLA deadline flags the order and waits on."""
        state = self.state
        while True:
            deadline, is_expiry = self._next_deadline()
            timeout = max(deadline - workflow.now(), timedelta(seconds=1)) if deadline is not None else None
            try:
                await workflow.wait_condition(lambda: bool(state.pending), timeout=timeout)
            except TimeoutError:
                if not is_expiry:
                    await self._flag_sla()
                    continue
                if state.status == Status.PARTIALLY_SHIPPED:
                    return Command(DROP_REMAINDER, EXPIRY_CANCEL_ID)
                if not state.cancel_id:
                    state.cancel_id, state.pending_action = EXPIRY_CANCEL_ID, PendingAction.CANCEL
                    return Command(
                        CANCEL,
                        EXPIRY_CANCEL_ID,
                        cancel=CancelInput(reason=CancelReason.AUTHORIZATION_EXPIRED, actor="system"),
                    )
                continue  # an accepted cancel is about to run
            return state.pending.pop(0)

    def _next_deadline(self) -> tuple[datetime | None, bool]:
        """(the nearest deadline, whether it is the authorization's expiry)."""
        state = self.state
        expiry = None
        expiring = (Status.CONFIRMED, Status.PARTIALLY_SHIPPED)
        if state.status in expiring and state.authorization and state.authorization.expires_at:
            expiry = datetime.fromisoformat(state.authorization.expires_at)  # external payments never expire
        sla = None
        hours = self._inp.sla_hours.get(state.status) if self._inp and self._inp.sla_hours else None
        if state.shipments:
            hours = None  # once shipments exist each one keeps its own SLA timer (its child workflow)
        if hours and state.status not in state.sla_flagged:
            sla = datetime.fromisoformat(state.status_since) + timedelta(hours=hours)
        if expiry is not None and (sla is None or expiry <= sla):
            return expiry, True
        return sla, False

    async def _flag_sla(self) -> None:
        status = self.state.status
        self.state.sla_flagged.append(status)
        hours = self._inp.sla_hours.get(status) if self._inp else None
        await self._write("sla_breached", {"status": status, "hours": hours}, sla_breached_status=status)

    async def _apply(self, command: Command) -> None:
        apply = {
            CANCEL: self._cancel,
            SHIP: self._ship,
            DELIVERY_EVENT: self._delivery_event,
            CHANGE_DELIVERY: self._change_delivery,
            SHIPMENT_SLA: self._shipment_sla,
            EDIT: self._edit,
            DROP_REMAINDER: self._drop_remainder,
        }[command.kind]
        state = self.state
        try:
            await apply(command)
        except _Refused as refusal:
            state.outcomes[command.id] = Outcome(refusal=refusal.payload)
            # The refused action is not in progress any more: the next one of its kind is a new request.
            if command.kind == EDIT:
                state.pending_action = ""
            if command.id in (state.cancel_id, state.ship_id):
                state.cancel_id = "" if command.id == state.cancel_id else state.cancel_id
                state.ship_id = "" if command.id == state.ship_id else state.ship_id
                state.pending_action = ""
            return
        state.outcomes.setdefault(command.id, Outcome())

    def _refuse_remaining(self) -> None:
        """Commands accepted just before the order ended are answered with the order's final state."""
        state = self.state
        while state.pending:
            command = state.pending.pop(0)
            message = f"Order {state.number} is {state.status}; nothing more can be done."
            state.outcomes[command.id] = Outcome(refusal=_Refused(_REFUSAL_CODES[command.kind], message).payload)

    # --- the commands --------------------------------------------------------------------------------------
    async def _cancel(self, command: Command) -> None:
        """Compensate every step done so far (newest first, each until it succeeds), then record cancelled."""
        state, cancel = self.state, command.cancel
        assert cancel is not None
        if state.status == Status.CANCELLED:
            return  # already cancelled (a repeat): the order as it is
        refusal = domain.cancel_refusal(state.status)
        if refusal:
            raise _Refused("not_cancellable", f"Order {state.number} {refusal}.")
        state.step = "cancelling"
        state.pending_action = PendingAction.CANCEL
        state.cancel_reason = cancel.reason
        await self._write(
            "cancel_requested", {"reason": cancel.reason}, actor=cancel.actor, pending_action=PendingAction.CANCEL
        )
        await self._saga.compensate()
        if state.payment_status == PaymentStatus.AUTHORIZED:
            state.payment_status = PaymentStatus.VOIDED
        state.step = "cancelled"
        await self._write(
            "cancelled",
            {"reason": cancel.reason},
            actor=cancel.actor,
            publish="order.cancelled",
            status=Status.CANCELLED,
            cancel_reason=cancel.reason,
            payment_status=state.payment_status,
            pending_action="",
        )

    async def _ship(self, command: Command) -> None:
        """Capture the payment, then take the reserved stock off the shelf; a parcel that is not delivered later
        is refunded and restocked (the ``_returns`` compensations registered here). Since split shipments each
        shipment is a child workflow (``_ship_part``); histories recorded before replay the one-step code."""
        if workflow.patched(SPLIT_SHIPMENTS_PATCH):
            await self._ship_part(command)
            return
        state, ship = self.state, command.ship
        assert ship is not None
        refusal = domain.ship_refusal(state.status)
        if refusal:
            raise _Refused("not_shippable", f"Order {state.number} {refusal}.")
        number = state.number
        state.step = "shipping"
        tracking = {"carrier": ship.carrier, "tracking_number": ship.tracking_number}
        await self._write("shipment_started", tracking, actor=ship.actor, pending_action=PendingAction.SHIPMENT)
        try:
            captured = await workflow.execute_activity(
                PAYMENT_CAPTURE,
                PaymentOrderInput(number, self._key("payment.capture")),
                result_type=PaymentResult,
                **CAPTURE_STEP,
            )
        except ActivityError as error:  # the PSP refused: the order is cancelled, its outcome the cancellation
            await self._write("capture_failed", {"detail": root_cause(error).message}, actor=ship.actor)
            state.cancel_id, state.pending_action = f"{command.id}:capture-failed", PendingAction.CANCEL
            await self._apply(
                Command(CANCEL, state.cancel_id, cancel=CancelInput(CancelReason.CAPTURE_FAILED, "system"))
            )
            return
        state.payment_status = PaymentStatus.CAPTURED
        self._returns.add_compensation(
            "capture_payment", PAYMENT_REFUND, PaymentOrderInput(number, self._key("refund"))
        )
        self._returns.add_compensation(
            "fulfil_stock", STOCK_RESTOCK, StockOrderInput(number, self._key("stock.restock")), local=True
        )
        if state.voucher_redeemed:  # a parcel not delivered ends the order cancelled: the use comes back too
            self._returns.add_compensation(
                "redeem_voucher", VOUCHER_RELEASE, ReleaseInput(number, self._key("voucher.release")), local=True
            )
        fulfilled = await workflow.execute_local_activity(
            STOCK_FULFIL, StockOrderInput(number, self._key("stock.fulfil")), result_type=ReserveResult, **LOCAL_STEP
        )
        await self._write(
            "payment_captured",
            {"amount": captured.amount, "currency": captured.currency},
            more=[
                EventInput("stock_fulfilled", {"allocations": [a.__dict__ for a in fulfilled.allocations]}),
                EventInput("shipped", tracking),
            ],
            actor=ship.actor,
            publish="order.shipped",
            status=Status.SHIPPED,
            payment_status=PaymentStatus.CAPTURED,
            tracking=tracking,
            pending_action="",
        )
        state.step = "awaiting_delivery"

    async def _ship_part(self, command: Command) -> None:
        """One shipment (ADR 0120): the order decides its units and its capture (``domain.shipment_amount``),
        starts its child workflow, waits for the child's report of the capture, then records the shipment, the
        status (``partially_shipped`` or ``shipped``) and the payment status in one write."""
        state, ship = self.state, command.ship
        assert ship is not None
        requested = _requested(ship.lines)
        remaining = state.remaining()
        refusal = domain.shipment_refusal(state.status, "", remaining, requested)
        if refusal:
            raise _Refused("not_shippable", f"Order {state.number} {refusal}.")
        units = requested if requested is not None else {sku: left for sku, left in remaining.items() if left}
        seq = len(state.shipments) + 1
        amount, per_sku = domain.shipment_amount(
            state.lines,
            shipped=state.shipped(),
            captured=state.captured_by_sku(),
            ship=units,
            shipping=state.shipping,
            first=seq == 1,
            currency=state.currency,
        )
        last = all(units.get(sku, 0) == left for sku, left in remaining.items())
        lines = [{"sku": sku, "quantity": quantity} for sku, quantity in units.items()]
        tracking = {"carrier": ship.carrier, "tracking_number": ship.tracking_number}
        state.step = "shipping"
        await self._write(
            "shipment_started",
            {**tracking, "shipment": seq, "lines": lines, "amount": str(amount)},
            actor=ship.actor,
            pending_action=PendingAction.SHIPMENT,
        )
        inp = self._inp
        assert inp is not None
        shipped_hours = inp.sla_hours.get(Status.SHIPPED) if inp.sla_hours else None
        self._children[seq] = await workflow.start_child_workflow(
            SHIPMENT_WORKFLOW,
            ShipmentInput(
                number=state.number,
                seq=seq,
                lines=[ShipLine(sku, quantity) for sku, quantity in units.items()],
                amount=str(amount),
                final=last,
                currency=state.currency,
                carrier=ship.carrier,
                tracking_number=ship.tracking_number,
                sla_hours=shipped_hours,
            ),
            id=shipment_workflow_id(state.number, seq),
            task_queue=workflow.info().task_queue,
        )
        report = await self._report(seq, ("shipped", "capture_failed"))
        state.ship_id = ""  # the next shipment is a new request
        if report.kind == "capture_failed":
            await self._write("capture_failed", {"shipment": seq, "detail": report.detail}, actor=ship.actor)
            if seq == 1:  # nothing shipped yet: the order is cancelled, as a single shipment always was
                state.cancel_id, state.pending_action = f"{command.id}:capture-failed", PendingAction.CANCEL
                await self._apply(
                    Command(CANCEL, state.cancel_id, cancel=CancelInput(CancelReason.CAPTURE_FAILED, "system"))
                )
                return
            await self._write("shipment_refused", {"shipment": seq}, pending_action="")
            state.step = "awaiting_shipment"
            raise _Refused("payment_declined", f"Order {state.number}: the capture was refused ({report.detail}).")
        assert report.payment is not None
        state.shipments.append(ShipmentState(seq, units, str(amount), per_sku, ship.carrier, ship.tracking_number))
        done = not any(state.remaining().values())
        await self._write(
            "payment_captured",
            {"amount": str(amount), "currency": state.currency, "shipment": seq},
            more=[
                EventInput("stock_fulfilled", {"shipment": seq, "allocations": report.allocations}),
                EventInput("shipped", {**tracking, "shipment": seq, "lines": lines}),
            ],
            actor=ship.actor,
            publish=["order.updated", "order.shipped"] if done else ["order.updated"],
            status=Status.SHIPPED if done else Status.PARTIALLY_SHIPPED,
            payment_status=report.payment.status,
            tracking=tracking,
            shipment={"seq": seq, **tracking, "lines": lines, "amount_captured": str(amount)},
            pending_action="",
        )
        state.step = "awaiting_delivery" if done else "awaiting_shipment"

    async def _edit(self, command: Command) -> None:
        """An edit as one all-or-nothing step: reserve the extra units, authorize the difference when the total
        grows past what is authorized, then release the freed units and record the new lines and totals. A
        refusal (no stock, declined) undoes what this edit did and leaves the order exactly as it was."""
        state, edit = self.state, command.edit
        assert edit is not None
        refusal = domain.edit_refusal(state.status)
        if refusal:
            raise _Refused("not_editable", f"Order {state.number} {refusal}.")
        old = {line.sku: line.quantity for line in state.lines}
        new = {line.sku: line.quantity for line in edit.lines}
        shipped = state.shipped()
        if any(new.get(sku, 0) < units for sku, units in shipped.items()):
            raise _Refused("not_editable", f"Order {state.number}: a line cannot go below what has shipped.")
        extra = [StockLine(sku, units - old.get(sku, 0)) for sku, units in new.items() if units > old.get(sku, 0)]
        freed = [StockLine(sku, units - new.get(sku, 0)) for sku, units in old.items() if units > new.get(sku, 0)]
        total = Decimal(edit.totals["total"])
        state.edits += 1
        step = f"edit-{state.edits}"
        state.step = "editing"
        await self._write(
            "edit_started", {"lines": _line_units(edit.lines)}, actor=edit.actor, pending_action=PendingAction.EDIT
        )
        undo = Saga()
        try:
            if extra:
                undo.add_compensation(
                    "edit_reserve",
                    STOCK_RELEASE,
                    StockOrderInput(
                        state.number, self._key(f"{step}:release"), reserved_by=self._key(f"{step}:stock.reserve")
                    ),
                    local=True,
                )
                await workflow.execute_local_activity(
                    STOCK_RESERVE,
                    ReserveInput(state.number, extra, self._key(f"{step}:stock.reserve")),
                    result_type=ReserveResult,
                    **LOCAL_STEP,
                )
            if total > state.authorized:
                more = await workflow.execute_activity(
                    PAYMENT_AUTHORIZE_MORE,
                    AuthorizeMoreInput(
                        state.number, self._key(f"{step}:payment.authorize_more"), str(total - state.authorized)
                    ),
                    result_type=PaymentResult,
                    **PAYMENT_STEP,
                )
                state.authorized = Decimal(more.amount)
        except FailureError as error:
            await undo.compensate()
            cause = root_cause(error)
            code = cause.type if isinstance(cause, ApplicationError) and cause.type else "invalid_transition"
            state.step = "awaiting_shipment" if not state.shipments else "awaiting_delivery"
            await self._write(
                "edit_refused", {"reason": code, "detail": cause.message}, actor=edit.actor, pending_action=""
            )
            raise _Refused(code, f"Order {state.number}: the edit was refused ({cause.message}).") from None
        if freed:
            await workflow.execute_local_activity(
                STOCK_RELEASE,
                StockOrderInput(state.number, self._key(f"{step}:stock.release"), freed),
                result_type=ReserveResult,
                **LOCAL_STEP,
            )
        dropped = state.voucher_redeemed and edit.voucher_code == ""
        if dropped:  # the new subtotal is under the voucher's minimum: its discount is gone, so is its use
            await self._release_voucher(f"{step}:voucher.release")
        previous = {"lines": _line_units(state.lines), "total": str(state.total)}
        state.lines = [OrderLineShare(line.sku, line.quantity, Decimal(line.total)) for line in edit.lines]
        state.line_inputs = list(edit.lines)
        state.shipping, state.total = Decimal(edit.totals["shipping"]), total
        await self._write(
            "edited",
            {"from": previous, "to": {"lines": _line_units(edit.lines), "total": str(total)}},
            actor=edit.actor,
            publish="order.updated",
            lines=edit.lines,
            totals=edit.totals,
            voucher_code="" if dropped else None,
            pending_action="",
        )
        state.step = "awaiting_shipment"

    async def _drop_remainder(self, command: Command) -> None:
        """The authorization expired while units were still to ship (docs/orders.md "Shipments"): what shipped
        stands, the rest is dropped. Its stock is released, the payment's capture is closed (the PSP lets the
        expired hold go), and the order is cut to what shipped: each line keeps its shipped units at exactly what
        their shipments captured, so the order's total equals its captures; it is then ``shipped``."""
        state = self.state
        remaining = state.remaining()
        freed = [StockLine(sku, units) for sku, units in remaining.items() if units]
        state.step = "dropping_remainder"
        await self._write(
            "authorization_expired", {"dropped": [line.__dict__ for line in freed]}, pending_action=PendingAction.EDIT
        )
        await workflow.execute_local_activity(
            STOCK_RELEASE,
            StockOrderInput(state.number, self._key("remainder:stock.release"), freed),
            result_type=ReserveResult,
            **LOCAL_STEP,
        )
        closed = await workflow.execute_activity(
            PAYMENT_CAPTURE,
            PaymentOrderInput(state.number, self._key("remainder:payment.close"), amount="0", final=True),
            result_type=PaymentResult,
            **CAPTURE_STEP,
        )
        lines, totals = _cut_to_shipped(
            state.line_inputs, state.shipped(), state.captured_by_sku(), state.shipping, state.currency
        )
        state.line_inputs = lines
        state.lines = [OrderLineShare(line.sku, line.quantity, Decimal(line.total)) for line in lines]
        state.total = Decimal(totals["total"])
        await self._write(
            "remainder_dropped",
            {"lines": _line_units(lines), "total": totals["total"]},
            publish=["order.updated", "order.shipped"],
            status=Status.SHIPPED,
            payment_status=closed.status,
            lines=lines,
            totals=totals,
            pending_action="",
        )
        state.step = "awaiting_delivery"
        await self._end_when_settled()

    async def _report(self, seq: int, kinds: tuple[str, ...]) -> ShipmentReport:
        """Wait for the shipment's report of one of ``kinds`` and take it."""
        state = self.state

        def arrived() -> ShipmentReport | None:
            return next((r for r in state.reports if r.seq == seq and r.kind in kinds), None)

        await workflow.wait_condition(lambda: arrived() is not None)
        report = arrived()
        assert report is not None
        state.reports.remove(report)
        return report

    async def _shipment_sla(self, command: Command) -> None:
        """A shipment stayed in transit past its SLA: flag the order (once per status, as the order's own timer)."""
        state, report = self.state, command.report
        assert report is not None
        if Status.SHIPPED in state.sla_flagged or state.status in domain.TERMINAL:
            return
        state.sla_flagged.append(Status.SHIPPED)
        hours = self._inp.sla_hours.get(Status.SHIPPED) if self._inp else None
        await self._write(
            "sla_breached",
            {"status": Status.SHIPPED.value, "hours": hours, "shipment": report.seq},
            sla_breached_status=Status.SHIPPED.value,
        )

    async def _shipment_event(self, command: Command) -> None:
        """A carrier event for one shipment: it moves that shipment's delivery status only forward (a repeat was
        dropped by the handler); a final status is passed to the shipment's workflow. ``not_delivered``: the
        shipment restocks and refunds itself, the order records it. The order ends when every unit shipped and
        every shipment is final (``domain.order_end``)."""
        state, event = self.state, command.delivery_event
        assert event is not None
        refusal = domain.delivery_event_refusal(state.status, event.status)
        if refusal:
            raise _Refused("delivery_event_not_allowed", f"Order {state.number} {refusal}.")
        shipment = self._shipment(event.shipment)
        applied = domain.delivery_advances(shipment.delivery_status, event.status)
        if applied:
            shipment.delivery_status = event.status
        final = applied and DeliveryStatus(event.status) in DELIVERY_FINAL
        returning = final and event.status == DeliveryStatus.NOT_DELIVERED
        recorded = {"event_id": event.event_id, "status": event.status, "occurred_at": event.occurred_at}
        # The order's delivery status follows its shipments but, like theirs, never moves backwards (an
        # "accepted" of the order before it shipped stays until every shipment is past it).
        order_delivery = domain.order_delivery_status([s.delivery_status for s in state.shipments])
        await self._write(
            "delivery_event",
            {**recorded, "shipment": shipment.seq, "applied": applied},
            actor=event.actor,
            delivery_status=order_delivery if domain.delivery_advances(state.delivery_status, order_delivery) else None,
            shipment={"seq": shipment.seq, "delivery_status": shipment.delivery_status},
            pending_action=PendingAction.REFUND if returning else None,
        )
        if final:
            await self._children[shipment.seq].signal(SIGNAL_SHIPMENT_DELIVERY, ShipmentDelivery(event.status))
        if returning:
            state.step = "returning"
            report = await self._report(shipment.seq, ("returned",))
            assert report.payment is not None
            shipment.refunded = True
            # Every refund of the payment (returns too, which refund outside this process): the payment's own sum.
            state.refunded = Decimal(report.payment.refunded_amount)
            await self._write(
                "shipment_returned",
                {"shipment": shipment.seq, "refunded": shipment.amount, "currency": state.currency},
                more=[EventInput("stock_restocked", {"shipment": shipment.seq}), EventInput("payment_refunded", {})],
                publish=["order.updated"],
                payment_status=report.payment.status,
                refunded_amount=str(state.refunded),
                shipment={"seq": shipment.seq, "amount_refunded": shipment.amount},
                pending_action="",
            )
            state.step = "awaiting_delivery"
        await self._end_when_settled()
        state.outcomes[command.id] = Outcome(
            delivery=DeliveryEventResult(applied, shipment.delivery_status, state.status)
        )

    async def _end_when_settled(self) -> None:
        state = self.state
        shipped_all = not any(state.remaining().values())
        end = domain.order_end(shipped_all, [s.delivery_status for s in state.shipments])
        if end == Status.DELIVERED:
            state.step = "delivered"
            await self._write("delivered", {}, publish="order.delivered", status=Status.DELIVERED)
        elif end == Status.CANCELLED:
            state.step = "cancelled"
            state.cancel_reason = CancelReason.DELIVERY_FAILED
            await self._release_voucher("voucher.release")  # nothing was delivered: the use comes back too
            await self._write(
                "cancelled",
                {"reason": CancelReason.DELIVERY_FAILED.value},
                publish="order.cancelled",
                status=Status.CANCELLED,
                cancel_reason=CancelReason.DELIVERY_FAILED.value,
            )

    async def _release_voucher(self, step: str) -> None:
        """Give the order's voucher use back outside the checkout saga (an edit dropped the voucher, or no
        shipment was delivered); exactly once, whatever the retries (``voucher_release`` is keyed by order)."""
        state = self.state
        if not state.voucher_redeemed:
            return
        await workflow.execute_local_activity(
            VOUCHER_RELEASE, ReleaseInput(state.number, self._key(step)), **LOCAL_STEP
        )
        state.voucher_redeemed = False
        self._defer("voucher_released", {"code": state.voucher_code})

    def _shipment(self, seq: int) -> ShipmentState:
        """The shipment an event names (0: the order's only shipment)."""
        shipments = self.state.shipments
        if seq == 0 and len(shipments) == 1:
            return shipments[0]
        found = next((s for s in shipments if s.seq == seq), None)
        if found is None:
            raise _Refused("shipment_required", f"Order {self.state.number}: name one of its shipments.")
        return found

    async def _delivery_event(self, command: Command) -> None:
        """A carrier event: recorded on the timeline; it moves ``delivery_status`` only forward. ``delivered``
        completes the order; ``not_delivered`` refunds and restocks it, then cancels it (``delivery_failed``).
        Orders with shipments (child workflows) take their events per shipment (``_shipment_event``)."""
        state, event = self.state, command.delivery_event
        assert event is not None
        if state.shipments:
            await self._shipment_event(command)
            return
        refusal = domain.delivery_event_refusal(state.status, event.status)
        if refusal:
            raise _Refused("delivery_event_not_allowed", f"Order {state.number} {refusal}.")
        applied = domain.delivery_advances(state.delivery_status, event.status)
        recorded = {"event_id": event.event_id, "status": event.status, "occurred_at": event.occurred_at}
        changes: dict[str, Any] = {"delivery_status": event.status} if applied else {}
        final = applied and DeliveryStatus(event.status) in DELIVERY_FINAL
        if final and event.status == DeliveryStatus.DELIVERED:
            await self._write(
                "delivery_event",
                {**recorded, "applied": True},
                more=[EventInput("delivered", {})],
                actor=event.actor,
                publish="order.delivered",
                status=Status.DELIVERED,
                **changes,
            )
            state.step = "delivered"
        elif final:
            await self._write(
                "delivery_event",
                {**recorded, "applied": True},
                actor=event.actor,
                pending_action=PendingAction.REFUND,
                **changes,
            )
            await self._return_shipment()
        else:
            await self._write("delivery_event", {**recorded, "applied": applied}, actor=event.actor, **changes)
        self.state.outcomes[command.id] = Outcome(
            delivery=DeliveryEventResult(applied, state.delivery_status, state.status)
        )

    async def _return_shipment(self) -> None:
        """not_delivered: restock what was shipped and refund the capture (retried until done), then cancel."""
        state = self.state
        state.step = "returning"
        state.cancel_reason = CancelReason.DELIVERY_FAILED
        await self._returns.compensate()
        state.step = "cancelled"
        await self._write(
            "cancelled",
            {"reason": CancelReason.DELIVERY_FAILED.value},
            publish="order.cancelled",
            status=Status.CANCELLED,
            cancel_reason=CancelReason.DELIVERY_FAILED.value,
            payment_status=PaymentStatus.REFUNDED,
            pending_action="",
        )

    async def _change_delivery(self, command: Command) -> None:
        state, change = self.state, command.change_delivery
        assert change is not None
        refusal = domain.delivery_change_refusal(state.status, state.pending_action)
        if refusal:
            raise _Refused("delivery_not_changeable", f"Order {state.number} {refusal}.")
        changed = {name: {"from": change.previous.get(name), "to": value} for name, value in change.changes.items()}
        await self._write("delivery_changed", {"changed": changed}, actor=change.actor, details=change.changes)

    # --- messages: validate, record, wait for the outcome ----------------------------------------------------
    @workflow.update
    async def recorded(self, number: str) -> str:
        """Completes once the order row exists: the API answers 201 with the recorded order."""
        await workflow.wait_condition(lambda: self.state.recorded)
        return self.state.number

    @workflow.update
    async def cancel(self, inp: CancelInput) -> str:
        state = self.state
        if state.status == Status.CANCELLED and not state.cancel_id:
            return state.status  # cancelled by the carrier's not_delivered: the order as it is
        if not state.cancel_id:
            state.cancel_id = self._record(Command(CANCEL, _update_id(), cancel=inp))
            state.pending_action = PendingAction.CANCEL
        await self._outcome(state.cancel_id)
        return state.status

    @cancel.validator
    def validate_cancel(self, inp: CancelInput) -> None:
        if not inp.reason.strip():
            raise business_error("validation_error", "A cancel reason is required.")
        refusal = domain.cancel_refusal(self.state.status, self._pending())
        if refusal:
            raise business_error("not_cancellable", f"Order {self.state.number} {refusal}.")

    @workflow.update
    async def ship(self, inp: ShipInput) -> str:
        """Answers once the order is shipped (or cancelled, when the PSP refused the capture)."""
        state = self.state
        if not state.ship_id:
            state.ship_id = self._record(Command(SHIP, _update_id(), ship=inp))
            state.pending_action = PendingAction.SHIPMENT
        await self._outcome(state.ship_id)
        return state.status

    @ship.validator
    def validate_ship(self, inp: ShipInput) -> None:
        if not inp.carrier.strip() or not inp.tracking_number.strip():
            raise business_error("validation_error", "carrier and tracking_number are required.")
        state = self.state
        refusal = domain.shipment_refusal(state.status, self._pending(), state.remaining(), _requested(inp.lines))
        if refusal:
            raise business_error("not_shippable", f"Order {state.number} {refusal}.")

    @workflow.signal(name=SIGNAL_SHIPMENT_REPORT)
    def shipment_report(self, report: ShipmentReport) -> None:
        """A shipment's report: recorded for the run loop (the order's only writer), never written here."""
        if report.kind == "sla_breached":
            self.state.pending.append(Command(SHIPMENT_SLA, f"shipment-{report.seq}-sla", report=report))
        else:
            self.state.reports.append(report)

    @workflow.update
    async def delivery_event(self, inp: DeliveryEventInput) -> DeliveryEventResult:
        """A carrier event. A repeated ``event_id`` changes nothing; an event ranked at or below the current
        delivery status is recorded on the timeline but never moves it backwards."""
        state = self.state
        if _event_key(inp) in state.delivery_event_ids:
            return DeliveryEventResult(False, state.delivery_status, state.status)
        state.delivery_event_ids.append(_event_key(inp))
        outcome = await self._outcome(self._record(Command(DELIVERY_EVENT, _update_id(), delivery_event=inp)))
        assert outcome.delivery is not None
        return outcome.delivery

    @delivery_event.validator
    def validate_delivery_event(self, inp: DeliveryEventInput) -> None:
        if inp.status not in DELIVERY_EVENT_STATUSES or not inp.event_id:
            raise business_error("validation_error", "event_id and a known delivery status are required.")
        state = self.state
        if _event_key(inp) in state.delivery_event_ids:
            return  # a repeat is accepted and ignored
        if state.shipments or inp.shipment:
            if inp.shipment == 0 and len(state.shipments) > 1:
                raise business_error(
                    "shipment_required", f"Order {state.number} has several shipments; post the event to one."
                )
            if inp.shipment and all(s.seq != inp.shipment for s in state.shipments):
                raise business_error("not_found", f"Order {state.number} has no shipment {inp.shipment}.")
        refusal = domain.delivery_event_refusal(state.status, inp.status, self._pending())
        if refusal:
            raise business_error("delivery_event_not_allowed", f"Order {state.number} {refusal}.")

    @workflow.update
    async def change_delivery(self, inp: ChangeDeliveryInput) -> str:
        await self._outcome(self._record(Command(CHANGE_DELIVERY, _update_id(), change_delivery=inp)))
        return self.state.status

    @change_delivery.validator
    def validate_change_delivery(self, inp: ChangeDeliveryInput) -> None:
        refusal = domain.delivery_change_refusal(self.state.status, self._pending())
        if refusal:
            raise business_error("delivery_not_changeable", f"Order {self.state.number} {refusal}.")

    @workflow.update(name=UPDATE_EDIT)
    async def edit(self, inp: EditInput) -> str:
        """Answers once the edit is recorded or refused (the order as it was)."""
        state = self.state
        command_id = self._record(Command(EDIT, _update_id(), edit=inp))
        state.pending_action = PendingAction.EDIT
        await self._outcome(command_id)
        return state.status

    @edit.validator
    def validate_edit(self, inp: EditInput) -> None:
        state = self.state
        refusal = domain.edit_refusal(state.status, self._pending())
        if refusal:
            raise business_error("not_editable", f"Order {state.number} {refusal}.")
        if not inp.lines:
            raise business_error("validation_error", "An order keeps at least one line.")
        new = {line.sku: line.quantity for line in inp.lines}
        if any(new.get(sku, 0) < units for sku, units in state.shipped().items()):
            raise business_error("not_editable", f"Order {state.number}: a line cannot go below what has shipped.")

    @workflow.query
    def progress(self) -> OrderProgress:
        state = self.state
        return OrderProgress(
            number=state.number,
            step=state.step,
            status=state.status,
            payment_status=state.payment_status,
            delivery_status=state.delivery_status,
            failure_reason=state.failure_reason,
            cancel_reason=state.cancel_reason,
            cancel_requested=bool(state.cancel_id),
            pending_compensations=self._pending_compensations(),
            pending_action=self._pending(),
            pending_commands=[command.kind for command in state.pending],
        )

    # --- helpers ------------------------------------------------------------------------------------------
    def _pending(self) -> str:
        """The long-running action in progress, as the rules see it (a failed checkout compensating counts)."""
        if self.state.pending_action:
            return self.state.pending_action
        return PendingAction.COMPENSATION if self.state.step == "compensating" else ""

    def _pending_compensations(self) -> list[str]:
        """What a cancel (before shipment) or a failed delivery (after) would undo now; nothing once ended."""
        if self.state.status in (Status.CREATED, Status.CONFIRMED):
            return self._saga.pending
        return self._returns.pending if self.state.status == Status.SHIPPED else []

    def _record(self, command: Command) -> str:
        self.state.pending.append(command)
        return command.id

    def _take(self, command_id: str) -> Command:
        """Remove an accepted command from the queue to apply it now (a cancel that interrupts the saga)."""
        state = self.state
        command = next(c for c in state.pending if c.id == command_id)
        state.pending.remove(command)
        return command

    async def _outcome(self, command_id: str) -> Outcome:
        await workflow.wait_condition(lambda: command_id in self.state.outcomes)
        outcome = self.state.outcomes[command_id]
        if outcome.refusal is not None:
            raise ApplicationError(
                outcome.refusal["message"], outcome.refusal, type=outcome.refusal["code"], non_retryable=True
            )
        return outcome

    def _begin(self, step: str) -> None:
        if self.state.cancel_id:
            raise _CancelRequested
        self.state.step = step

    def _saga_step(self) -> str:
        return self._saga.records[0].step if self._saga.records else ""

    def _key(self, step: str) -> str:
        return activity_key(workflow.info().workflow_id, step)

    async def _compensated(self, record: CompensationRecord) -> None:
        if record.step == "authorize_payment" and self.state.payment_status == PaymentStatus.FAILED:
            return  # the card was declined: there was no authorization to release
        if record.step == "redeem_voucher" and not self.state.voucher_redeemed:
            return  # the voucher was refused: there was no use to give back
        await self._write(COMPENSATION_EVENTS.get(record.step, "compensated"), {"step": record.step})

    def _defer(self, event_type: str, data: dict[str, Any]) -> None:
        """An event written by the next write, stamped with its own time (one local activity fewer)."""
        self.state.deferred.append(EventInput(event_type, data, at=workflow.now().isoformat()))

    async def _write(
        self,
        event_type: str,
        data: dict[str, Any],
        *,
        more: list[EventInput] | None = None,
        actor: str = "system",
        publish: str | list[str] = "",
        status: str | None = None,
        **changes: Any,
    ) -> None:
        """The one writer: status fields and timeline events (and the webhook outbox rows of ``publish``) in one
        transaction, keyed by the write's sequence number, so a retried or replayed write changes nothing. A
        status change must be in the domain's table; the state follows once the row is written."""
        state = self.state
        if status is not None:
            domain.check_transition(state.status, status)
        state.writes += 1
        events, state.deferred = [*state.deferred, EventInput(event_type, data), *(more or [])], []
        result = await workflow.execute_local_activity(
            ORDER_WRITE,
            ApplyInput(
                number=state.number,
                idempotency_key=self._key(f"w{state.writes}:{event_type}"),
                actor=actor,
                at=workflow.now().isoformat(),
                events=events,
                status=status,
                publish=[publish] if isinstance(publish, str) and publish else list(publish or []),
                **changes,
            ),
            result_type=WriteResult,
            **LOCAL_STEP,
        )
        if status is not None and status != state.status:
            state.status, state.status_since = status, workflow.now().isoformat()
        for name in ("payment_status", "delivery_status", "failure_reason", "cancel_reason", "pending_action"):
            if changes.get(name) is not None:
                setattr(state, name, changes[name])
        self._dispatch(result)

    def _dispatch(self, written: WriteResult) -> None:
        """Start what a write recorded, each on its own queue, beside the order (awaited only before it ends)."""
        inp = self._inp
        assert inp is not None
        self._dispatching += start_dispatches(
            delivery_ids=written.delivery_ids,
            email_ids=written.email_ids,
            webhook_task_queue=inp.webhook_task_queue,
            email_task_queue=inp.email_task_queue,
        )


_REFUSAL_CODES = {
    SHIPMENT_SLA: "invalid_transition",
    EDIT: "not_editable",
    DROP_REMAINDER: "invalid_transition",
    CANCEL: "not_cancellable",
    SHIP: "not_shippable",
    DELIVERY_EVENT: "delivery_event_not_allowed",
    CHANGE_DELIVERY: "delivery_not_changeable",
}


def _line_shares(inp: PlaceOrderInput) -> list[OrderLineShare]:
    """The order's lines with their share of the total; an input recorded before line shares carries none, so
    its discount and tax are split with the pricing rule (``domain.line_shares``)."""
    if all(line.total for line in inp.lines):
        totals = [Decimal(line.total) for line in inp.lines]
    else:
        shares = domain.line_shares(
            [Decimal(line.line_total) for line in inp.lines],
            discount=Decimal(inp.discount),
            tax=Decimal(inp.tax),
            currency=inp.currency,
        )
        totals = [share.total for share in shares]
    return [OrderLineShare(line.sku, line.quantity, total) for line, total in zip(inp.lines, totals, strict=True)]


def _cut_to_shipped(
    lines: list[LineInput], shipped: dict[str, int], captured: dict[str, Decimal], shipping: Decimal, currency: str
) -> tuple[list[LineInput], dict[str, str]]:
    """The order's lines cut to what shipped, each line's total exactly what its shipments captured (its discount
    the shipped units' share, its tax the rest), and the order's figures added up from them."""
    cut: list[LineInput] = []
    for line in lines:
        units = shipped.get(line.sku, 0)
        if not units:
            continue
        line_total = quantize(Decimal(line.unit_price) * units, currency)
        discount = quantize(Decimal(line.discount or 0) * units / line.quantity, currency)
        total = captured.get(line.sku, Decimal(0))
        tax = total - (line_total - discount)
        cut.append(
            LineInput(line.sku, line.name, line.unit_price, units, str(line_total), str(discount), str(tax), str(total))
        )
    sums = {
        "subtotal": sum((Decimal(line.line_total) for line in cut), Decimal(0)),
        "discount": sum((Decimal(line.discount) for line in cut), Decimal(0)),
        "shipping": shipping,
        "tax": sum((Decimal(line.tax) for line in cut), Decimal(0)),
    }
    sums["total"] = sums["subtotal"] - sums["discount"] + sums["shipping"] + sums["tax"]
    return cut, {name: str(quantize(value, currency)) for name, value in sums.items()}


def _line_units(lines: list[Any]) -> list[dict[str, Any]]:
    return [{"sku": line.sku, "quantity": line.quantity} for line in lines]


def _event_key(inp: DeliveryEventInput) -> str:
    """Carrier event ids are deduplicated per shipment (an order-level event keeps its plain id, as before)."""
    return f"{inp.shipment}:{inp.event_id}" if inp.shipment else inp.event_id


def _requested(lines: list[ShipLine] | None) -> dict[str, int] | None:
    """Units per sku a shipment asks for (a sku named twice adds up); None: everything left."""
    if lines is None:
        return None
    units: dict[str, int] = {}
    for line in lines:
        units[line.sku] = units.get(line.sku, 0) + line.quantity
    return units


def _update_id() -> str:
    info = workflow.current_update_info()
    assert info is not None  # called from an update handler only
    return info.id
