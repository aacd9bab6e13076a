"""The return process (workflow type "ReturnProcess", one per return, ``return-<id>``, on the order task queue).

``run`` records the return (its first activity writes the row, with the order locked while the units are
counted), then serves its steps one at a time until it ends: approve / reject / cancel / receive from people, the
receive deadline (a durable timer from approval, ``RETURN_RECEIVE_DAYS``) from itself. Receiving runs two steps
each retried until done and each keyed (exactly once): restock (the stock ledger) and refund (payments v2 with the
return's own key); then ``refunded``.

As the order process: update handlers validate (``returns.domain``, before history) and record a ``Command``; the
run loop is the only writer; every status change goes through the domain's table. The order process is not
involved: an order's workflow has ended at ``delivered``; returns write the order's timeline through the order's
writer (``orders.services.order_write``). Deterministic code only.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    import returns.domain as domain  # not "from app import domain" (test_sandbox_imports)
    from orders.steps import LOCAL_STEP, root_cause, start_dispatches
    from returns.contracts import (
        ORDER_UPDATED,
        RETURN_APPROVED,
        RETURN_RECEIVE,
        RETURN_RECORD,
        RETURN_REFUND,
        RETURN_REFUNDED,
        RETURN_REJECTED,
        RETURN_RESTOCK,
        RETURN_WORKFLOW,
        RETURN_WRITE,
        ReceiveInput,
        ReceiveStepInput,
        RefundResult,
        RequestReturnInput,
        ReturnProgress,
        ReturnStepInput,
        ReturnWriteInput,
        StepInput,
        WriteResult,
        activity_key,
        business_error,
    )
    from returns.domain import ReturnStatus
    from returns.workflow_state import Command, ReturnState

# The refund: retried with backoff until the PSP answers (a refund owed is never dropped); a refusal
# (non-retryable, e.g. refund_exceeds_captured) is recorded for staff.
REFUND_STEP: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "heartbeat_timeout": timedelta(seconds=10),  # a killed worker's attempt is retried after this
    "retry_policy": RetryPolicy(initial_interval=timedelta(milliseconds=500), maximum_interval=timedelta(seconds=30)),
}

APPROVE = "approve"
REJECT = "reject"
CANCEL = "cancel"
RECEIVE = "receive"
EXPIRE = "expire"
_TARGETS = {
    APPROVE: ReturnStatus.APPROVED,
    REJECT: ReturnStatus.REJECTED,
    CANCEL: ReturnStatus.CANCELLED,
    RECEIVE: ReturnStatus.RECEIVED,
    EXPIRE: ReturnStatus.EXPIRED,
}


@workflow.defn(name=RETURN_WORKFLOW)
class ReturnWorkflow:
    @workflow.init
    def __init__(self, inp: RequestReturnInput) -> None:
        self._inp = inp
        self.state = ReturnState(return_id=inp.return_id)
        self._dispatching: list[Any] = []

    @workflow.run
    async def run(self, inp: RequestReturnInput) -> str:
        state = self.state
        if problem := self._window_problem():
            state.refusal = {"code": "return_window_closed", "message": problem, "field": None, "details": {}}
            return "refused"
        state.step = "record"
        try:
            recorded = await workflow.execute_local_activity(RETURN_RECORD, inp, result_type=WriteResult, **LOCAL_STEP)
        except FailureError as error:
            cause = root_cause(error)
            if not isinstance(cause, ApplicationError) or not cause.non_retryable:
                raise
            state.refusal = _payload(cause)  # another return took the units meanwhile, ...: nothing recorded
            return "refused"
        state.status, state.recorded, state.step = ReturnStatus.REQUESTED, True, "awaiting_approval"
        self._dispatch(recorded)
        while not domain.is_final(state.status) and not state.refund_failed:
            await self._apply(await self._next_command())
        for command in state.pending:  # accepted, but the return ended first
            state.outcomes[command.id] = _refusal(state, command.kind)
        state.pending.clear()
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._dispatching:
            await asyncio.gather(*self._dispatching, return_exceptions=True)
        return state.status

    def _window_problem(self) -> str | None:
        inp = self._inp
        if domain.window_is_open(datetime.fromisoformat(inp.delivered_at), inp.window_days, now=workflow.now()):
            return None
        return f"The return window of order {inp.order_number} has closed ({inp.window_days:g} days from delivery)."

    # --- the run loop -----------------------------------------------------------------------------------
    async def _next_command(self) -> Command:
        """The next accepted step; while approved, one durable timer for the receive deadline (expiry)."""
        state = self.state
        timeout = None
        if state.status == ReturnStatus.APPROVED and state.receive_deadline:
            due = datetime.fromisoformat(state.receive_deadline) - workflow.now()
            timeout = max(due, timedelta(seconds=1))
        try:
            await workflow.wait_condition(lambda: bool(state.pending), timeout=timeout)
        except TimeoutError:
            return Command(EXPIRE, "receive-deadline", step=StepInput(actor="system"))
        return state.pending.pop(0)

    async def _apply(self, command: Command) -> None:
        state = self.state
        target = _TARGETS[command.kind]
        if domain.step_refusal(state.status, target):
            state.outcomes[command.id] = _refusal(state, command.kind)
            return
        step = command.step
        if command.kind == APPROVE:
            assert step is not None
            deadline = workflow.now() + timedelta(days=self._inp.receive_days)
            await self._write(
                "approved",
                {"receive_by": deadline.isoformat()},
                actor=step.actor,
                status=ReturnStatus.APPROVED,
                order_event="return_approved",
                publish=[RETURN_APPROVED],
                receive_deadline=deadline.isoformat(),
            )
            state.receive_deadline, state.step = deadline.isoformat(), "awaiting_parcel"
        elif command.kind == REJECT:
            assert step is not None
            await self._write(
                "rejected",
                {"reason": step.reason},
                actor=step.actor,
                status=ReturnStatus.REJECTED,
                order_event="return_rejected",
                publish=[RETURN_REJECTED],
                reject_reason=step.reason,
            )
        elif command.kind in (CANCEL, EXPIRE):
            assert step is not None
            kind = "cancelled" if command.kind == CANCEL else "expired"
            data = {} if command.kind == CANCEL else {"receive_deadline": state.receive_deadline}
            await self._write(kind, data, actor=step.actor, status=target, order_event=f"return_{kind}")
        else:
            await self._receive(command)
        state.outcomes[command.id] = None

    async def _receive(self, command: Command) -> None:
        """Received -> restock -> refund -> refunded; each step retried until done, each keyed."""
        state, receive = self.state, command.receive
        assert receive is not None
        domain.check_transition(state.status, ReturnStatus.RECEIVED)
        state.step = "receiving"
        written = await workflow.execute_local_activity(
            RETURN_RECEIVE,
            ReceiveStepInput(state.return_id, self._key("receive"), workflow.now().isoformat(), receive),
            result_type=WriteResult,
            **LOCAL_STEP,
        )
        state.status, state.pending_action = ReturnStatus.RECEIVED, "refund"
        self._dispatch(written)
        state.outcomes[command.id] = None  # the caller's answer: received; restock and refund follow by themselves
        state.step = "restocking"
        await workflow.execute_local_activity(
            RETURN_RESTOCK, ReturnStepInput(state.return_id, self._key("stock")), **LOCAL_STEP
        )
        state.step = "refunding"
        try:
            refund = await workflow.execute_activity(
                RETURN_REFUND,
                ReturnStepInput(state.return_id, self._key("refund")),
                result_type=RefundResult,
                **REFUND_STEP,
            )
        except FailureError as error:
            state.refund_failed = True
            detail = {"detail": root_cause(error).message}
            await self._write("refund_failed", detail, order_event="return_refund_failed", pending_action="")
            state.pending_action, state.step = "", "refund_failed"
            return
        await self._write(
            "refunded",
            {"amount": refund.amount, "currency": refund.currency},
            status=ReturnStatus.REFUNDED,
            order_event="return_refunded",
            publish=[RETURN_REFUNDED, ORDER_UPDATED],
            refunded_amount=refund.amount,
            pending_action="",
        )
        state.pending_action, state.step = "", "refunded"

    # --- messages: validate, record, wait for the outcome ----------------------------------------------------
    @workflow.update
    async def recorded(self, return_id: str) -> str:
        """Completes once the row exists (the API answers 201 with it), or raises the refusal."""
        await workflow.wait_condition(lambda: self.state.recorded or self.state.refusal is not None)
        if self.state.refusal is not None:
            raise _error(self.state.refusal)
        return self.state.status

    @recorded.validator
    def validate_recorded(self, return_id: str) -> None:
        if not self.state.recorded and (problem := self._window_problem()):
            raise business_error("return_window_closed", problem)

    @workflow.update
    async def approve(self, inp: StepInput) -> str:
        return await self._accept(Command(APPROVE, _update_id(), step=inp))

    @approve.validator
    def validate_approve(self, inp: StepInput) -> None:
        self._validate(APPROVE)

    @workflow.update
    async def reject(self, inp: StepInput) -> str:
        return await self._accept(Command(REJECT, _update_id(), step=inp))

    @reject.validator
    def validate_reject(self, inp: StepInput) -> None:
        if not inp.reason.strip():
            raise business_error("validation_error", "A reason is required.", "reason")
        self._validate(REJECT)

    @workflow.update
    async def cancel(self, inp: StepInput) -> str:
        return await self._accept(Command(CANCEL, _update_id(), step=inp))

    @cancel.validator
    def validate_cancel(self, inp: StepInput) -> None:
        self._validate(CANCEL)

    @workflow.update
    async def receive(self, inp: ReceiveInput) -> str:
        return await self._accept(Command(RECEIVE, _update_id(), receive=inp))

    @receive.validator
    def validate_receive(self, inp: ReceiveInput) -> None:
        self._validate(RECEIVE)

    @workflow.query
    def progress(self) -> ReturnProgress:
        state = self.state
        return ReturnProgress(
            return_id=state.return_id,
            status=state.status,
            step=state.step,
            pending_action=state.pending_action,
            receive_deadline=state.receive_deadline,
            pending_commands=[command.kind for command in state.pending],
        )

    # --- helpers ------------------------------------------------------------------------------------------
    def _validate(self, kind: str) -> None:
        state = self.state
        if not state.recorded or (refusal := domain.step_refusal(state.status, _TARGETS[kind])):
            raise business_error("invalid_transition", f"Return {state.return_id} {refusal or 'is not recorded'}.")

    async def _accept(self, command: Command) -> str:
        self.state.pending.append(command)
        await workflow.wait_condition(lambda: command.id in self.state.outcomes)
        if (refusal := self.state.outcomes[command.id]) is not None:
            raise _error(refusal)
        if command.kind == RECEIVE:
            await workflow.wait_condition(lambda: not self.state.pending_action)  # the caller's bound answers 202
        return self.state.status

    def _key(self, step: str) -> str:
        return activity_key(workflow.info().workflow_id, step)

    async def _write(
        self,
        event_type: str,
        data: dict[str, Any],
        *,
        actor: str = "system",
        status: str | None = None,
        **fields: Any,
    ) -> None:
        """The one writer of the return's read model (one local activity, one transaction, keyed by sequence)."""
        state = self.state
        if status is not None:
            domain.check_transition(state.status, status)
        state.writes += 1
        result = await workflow.execute_local_activity(
            RETURN_WRITE,
            ReturnWriteInput(
                return_id=state.return_id,
                idempotency_key=self._key(f"w{state.writes}:{event_type}"),
                actor=actor,
                at=workflow.now().isoformat(),
                event_type=event_type,
                data=data,
                status=status,
                **fields,
            ),
            result_type=WriteResult,
            **LOCAL_STEP,
        )
        if status is not None:
            state.status = status
            state.step = status
        self._dispatch(result)

    def _dispatch(self, written: WriteResult) -> None:
        """Start what a write recorded (webhook deliveries, e-mails), each on its own queue, beside the return."""
        inp = self._inp
        self._dispatching += start_dispatches(
            delivery_ids=written.delivery_ids,
            email_ids=written.email_ids,
            webhook_task_queue=inp.webhook_task_queue,
            email_task_queue=inp.email_task_queue,
        )


def _payload(error: ApplicationError) -> dict[str, Any]:
    details = error.details[0] if error.details and isinstance(error.details[0], dict) else None
    return details or {"code": error.type or "not_returnable", "message": error.message, "field": None, "details": {}}


def _refusal(state: ReturnState, kind: str) -> dict[str, Any]:
    why = domain.step_refusal(state.status, _TARGETS[kind]) or "has moved on"
    message = f"Return {state.return_id} {why}."
    return {"code": "invalid_transition", "message": message, "field": None, "details": {}}


def _error(payload: dict[str, Any]) -> ApplicationError:
    return ApplicationError(payload["message"], payload, type=payload["code"], non_retryable=True)


def _update_id() -> str:
    info = workflow.current_update_info()
    assert info is not None
    return info.id
