"""``CartWorkflow``: one durable workflow per cart (``cart-<uuid hex>``) on ``CART_TASK_QUEUE``.

Every mutation is an update whose validator refuses bad input before it reaches history; handlers that
await the catalog hold one lock, so concurrent updates apply one after another (no lost update). An idle
timer, pushed back by every mutation, expires the cart. The whole state is carried across continue-as-new.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    import carts.domain as domain  # not "from app import domain" (test_sandbox_imports)
    from carts.contracts import (
        CART_CHECK_VOUCHER,
        CART_PREPARE_ORDER,
        CART_PRICE_SKUS,
        CART_RECORD_STATUS,
        CART_START_ORDER,
        AddItemInput,
        ApplyVoucherInput,
        CartContents,
        CartState,
        CartView,
        CartWorkflowInput,
        CheckoutInput,
        CloseInput,
        MergeInput,
        OrderRequest,
        PrepareOrderInput,
        PricedSku,
        PriceInput,
        PriceResult,
        RecordStatusInput,
        RemoveItemInput,
        RemoveVoucherInput,
        ResetInput,
        SetQuantityInput,
        TouchInput,
        VoucherCheckInput,
        VoucherCheckResult,
    )
    from carts.domain import Status
    from oms_project.errors import DomainError, InvalidInput, TemporalUnavailable
    from oms_project.temporal import domain_error_to_application
    from orders.contracts import PlaceOrderInput

PRICE_TIMEOUT = timedelta(seconds=5)
PRICE_DEADLINE = timedelta(seconds=20)  # then the update fails with temporal_unavailable instead of hanging
RECORD_TIMEOUT = timedelta(seconds=10)
PREPARE_TIMEOUT = timedelta(seconds=10)
PREPARE_DEADLINE = timedelta(seconds=20)  # then the checkout is refused (temporal_unavailable), the cart open
# Starting the order waits until its workflow recorded it; longer than the Temporal client's own deadline, so a
# stalled server makes the attempt fail and retry (for ever: once the cart is closed, its order must start).
START_ORDER_TIMEOUT = timedelta(seconds=60)
# Patch id (never rename): a checkout carrying the order request prepares it, closes the cart, starts the order.
START_ORDER_PATCH = "cart-checkout-starts-order"
CLOSE_REASONS = {"merged": Status.MERGED}


def _refuse(error: DomainError) -> Exception:
    return domain_error_to_application(error)


@workflow.defn(name="CartWorkflow")
class CartWorkflow:
    @workflow.init
    def __init__(self, inp: CartWorkflowInput) -> None:
        # @workflow.init: an update delivered with the start (update-with-start) already sees the state.
        self._idle = timedelta(seconds=inp.idle_timeout_seconds)
        self._max_events = inp.max_history_events
        self._lock = asyncio.Lock()
        self.state = inp.state or CartState(cart_id=inp.cart_id, currency=inp.currency)
        if not self.state.deadline:
            self.state.deadline = (workflow.now() + self._idle).isoformat()

    @workflow.run
    async def run(self, inp: CartWorkflowInput) -> CartView:
        while self.state.status == Status.OPEN:
            remaining = (self._deadline() - workflow.now()).total_seconds()
            if remaining <= 0:
                await self._expire_if_idle()
                continue
            with contextlib.suppress(asyncio.TimeoutError):
                # Mutations do not wake this loop: the timer is re-armed lazily for the remaining time, so
                # a busy cart adds no timer events per mutation.
                await workflow.wait_condition(
                    lambda: self.state.status != Status.OPEN or self._continue_as_new_due(), timeout=remaining
                )
            if self.state.status == Status.OPEN and self._continue_as_new_due():
                await workflow.wait_condition(lambda: not self._lock.locked() and workflow.all_handlers_finished())
                workflow.continue_as_new(
                    CartWorkflowInput(
                        cart_id=self.state.cart_id,
                        currency=self.state.currency,
                        idle_timeout_seconds=self._idle.total_seconds(),
                        max_history_events=self._max_events,
                        state=self.state,
                    )
                )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return domain.view(self.state)

    # --- queries ----------------------------------------------------------------------------------------

    @workflow.query
    def get(self) -> CartView:
        return domain.view(self.state)

    @workflow.query
    def state_snapshot(self) -> CartState:
        return self.state

    # --- mutations --------------------------------------------------------------------------------------

    @workflow.update
    async def add_item(self, inp: AddItemInput) -> CartView:
        async with self._mutation():
            quantity = self._quantity(inp.sku) + inp.quantity
            domain.check_new_quantity(self.state, inp.sku, quantity)
            priced = await self._price_one(inp.sku)
            domain.set_line(self.state, domain.check_sellable(priced, inp.sku, quantity, self.state.currency), quantity)
            return self._touch()

    @add_item.validator
    def validate_add_item(self, inp: AddItemInput) -> None:
        with self._refusals():
            domain.ensure_open(self.state.status)
            domain.check_sku(inp.sku)
            domain.check_quantity(inp.quantity)
            domain.check_new_quantity(self.state, inp.sku, self._quantity(inp.sku) + inp.quantity)

    @workflow.update
    async def set_quantity(self, inp: SetQuantityInput) -> CartView:
        async with self._mutation():
            domain.check_new_quantity(self.state, inp.sku, inp.quantity)
            if inp.quantity == 0:
                domain.remove_line(self.state, inp.sku)
            else:
                priced = await self._price_one(inp.sku)
                checked = domain.check_sellable(priced, inp.sku, inp.quantity, self.state.currency)
                domain.set_line(self.state, checked, inp.quantity)
            return self._touch()

    @set_quantity.validator
    def validate_set_quantity(self, inp: SetQuantityInput) -> None:
        with self._refusals():
            domain.ensure_open(self.state.status)
            domain.check_sku(inp.sku)
            domain.check_quantity(inp.quantity, allow_zero=True)
            domain.check_new_quantity(self.state, inp.sku, inp.quantity)

    @workflow.update
    async def remove_item(self, inp: RemoveItemInput) -> CartView:
        async with self._mutation():
            domain.remove_line(self.state, inp.sku)
            return self._touch()

    @remove_item.validator
    def validate_remove_item(self, inp: RemoveItemInput) -> None:
        with self._refusals():
            domain.ensure_open(self.state.status)
            domain.check_sku(inp.sku)

    @workflow.update
    async def reset(self, inp: ResetInput) -> CartView:
        async with self._mutation():
            self.state.lines = []
            return self._touch()

    @reset.validator
    def validate_reset(self, inp: ResetInput) -> None:
        with self._refusals():
            domain.ensure_open(self.state.status)

    @workflow.update
    async def touch(self, inp: TouchInput) -> CartView:
        async with self._mutation():
            return self._touch()

    @touch.validator
    def validate_touch(self, inp: TouchInput) -> None:
        with self._refusals():
            domain.ensure_open(self.state.status)

    @workflow.update
    async def apply_voucher(self, inp: ApplyVoucherInput) -> CartView:
        """Apply a voucher code (replacing any other): refused with voucher_invalid / voucher_exhausted when it
        does not apply to the cart now. Its discount is priced with the cart's figures; the order checks it again."""
        async with self._mutation():
            self.state.voucher_code = await self._check_voucher(inp.code)
            return self._touch()

    @apply_voucher.validator
    def validate_apply_voucher(self, inp: ApplyVoucherInput) -> None:
        with self._refusals():
            domain.ensure_open(self.state.status)
            domain.check_voucher_code(inp.code)

    @workflow.update
    async def remove_voucher(self, inp: RemoveVoucherInput) -> CartView:
        async with self._mutation():
            self.state.voucher_code = ""
            return self._touch()

    @remove_voucher.validator
    def validate_remove_voucher(self, inp: RemoveVoucherInput) -> None:
        with self._refusals():
            domain.ensure_open(self.state.status)

    @workflow.update
    async def merge(self, inp: MergeInput) -> CartView:
        """Add another cart's lines (login). Never fails on a line: unknown or sold-out lines are dropped."""
        async with self._mutation():
            if inp.source_cart_id in self.state.merged_from:
                return domain.view(self.state)
            priced = await self._price([line.sku for line in inp.lines]) if inp.lines else {}
            for line in inp.lines:
                item = priced.get(line.sku)
                if item is None or not item.is_active or item.currency != self.state.currency:
                    continue
                existing = domain.find_line(self.state, line.sku)
                if existing is None and len(self.state.lines) >= domain.MAX_LINES:
                    continue
                quantity = domain.merge_quantity(existing.quantity if existing else 0, line.quantity, item.available)
                if quantity > 0:
                    domain.set_line(self.state, item, quantity)
            self.state.merged_from.append(inp.source_cart_id)
            return self._touch()

    @merge.validator
    def validate_merge(self, inp: MergeInput) -> None:
        with self._refusals():
            domain.ensure_open(self.state.status)
            if len(inp.lines) > domain.MAX_LINES:
                raise InvalidInput(f"At most {domain.MAX_LINES} lines can be merged.", field="lines")
            for line in inp.lines:
                domain.check_sku(line.sku)
                domain.check_quantity(line.quantity)

    @workflow.update
    async def close(self, inp: CloseInput) -> CartView:
        async with self._lock, self._translated():
            status = CLOSE_REASONS[inp.reason]
            if self.state.status != status:
                domain.ensure_open(self.state.status)
                await self._finish(status)
            return domain.view(self.state)

    @close.validator
    def validate_close(self, inp: CloseInput) -> None:
        with self._refusals():
            if inp.reason not in CLOSE_REASONS:
                raise InvalidInput(f"Unknown close reason {inp.reason!r}.", field="reason")
            if self.state.status != CLOSE_REASONS[inp.reason]:
                domain.ensure_open(self.state.status)

    @workflow.update
    async def checkout(self, inp: CheckoutInput) -> CartContents:
        """The hand-off to an order: re-price, close the cart, return its final contents exactly once."""
        async with self._lock, self._translated():
            if self._is_replayed_checkout(inp):
                assert self.state.checkout_contents is not None
                return self.state.checkout_contents
            domain.ensure_open(self.state.status)
            domain.contents(self.state)  # cart_empty before touching the catalog
            priced = await self._price([line.sku for line in self.state.lines])
            checked = [
                (domain.check_sellable(priced.get(line.sku), line.sku, line.quantity, self.state.currency), line)
                for line in self.state.lines
            ]
            for item, line in checked:
                domain.set_line(self.state, item, line.quantity)
            result = domain.contents(self.state)
            # One durable step (docs/carts.md "Checkout"): the order is priced and checked while the cart is
            # still open (a refusal fails the update and keeps the cart), then the cart closes, then the order
            # starts, retried until it has: once the cart is closed, its order exists or will.
            order = None
            if inp.order is not None and workflow.patched(START_ORDER_PATCH):
                order = await self._prepare_order(result, inp.order)
            self.state.checkout_key, self.state.checkout_contents = inp.idempotency_key, result
            await self._finish(Status.CHECKED_OUT)
            if order is not None:
                await workflow.execute_activity(
                    CART_START_ORDER,
                    order,
                    start_to_close_timeout=START_ORDER_TIMEOUT,
                    retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
                )
            return result

    @checkout.validator
    def validate_checkout(self, inp: CheckoutInput) -> None:
        with self._refusals():
            if not isinstance(inp.idempotency_key, str) or not 1 <= len(inp.idempotency_key) <= 255:
                raise InvalidInput("The idempotency key must be 1 to 255 characters.", field="idempotency_key")
            if self._is_replayed_checkout(inp):
                return
            domain.ensure_open(self.state.status)
            domain.contents(self.state)

    # --- internals --------------------------------------------------------------------------------------

    def _is_replayed_checkout(self, inp: CheckoutInput) -> bool:
        return self.state.status == Status.CHECKED_OUT and self.state.checkout_key == inp.idempotency_key

    def _deadline(self) -> datetime:
        return datetime.fromisoformat(self.state.deadline)

    def _continue_as_new_due(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() >= self._max_events

    def _quantity(self, sku: str) -> int:
        line = domain.find_line(self.state, sku)
        return line.quantity if line else 0

    def _touch(self) -> CartView:
        self.state.deadline = (workflow.now() + self._idle).isoformat()
        self.state.mutations += 1
        return domain.view(self.state)

    async def _expire_if_idle(self) -> None:
        async with self._lock:
            # A mutation may have pushed the deadline while we waited for the lock.
            if self.state.status == Status.OPEN and workflow.now() >= self._deadline():
                await self._finish(Status.EXPIRED)

    async def _finish(self, status: Status) -> None:
        """Close the cart and record it in the read model before the workflow can end (see docs/carts.md)."""
        self.state.status = status
        await workflow.execute_activity(
            CART_RECORD_STATUS,
            RecordStatusInput(
                cart_id=self.state.cart_id,
                status=str(status),
                checkout_key=self.state.checkout_key,
                contents=self.state.checkout_contents,
            ),
            start_to_close_timeout=RECORD_TIMEOUT,
            retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
        )

    async def _prepare_order(self, contents: CartContents, order: OrderRequest) -> PlaceOrderInput:
        try:
            return await workflow.execute_local_activity(
                CART_PREPARE_ORDER,
                PrepareOrderInput(contents=contents, order=order),
                result_type=PlaceOrderInput,
                start_to_close_timeout=PREPARE_TIMEOUT,
                schedule_to_close_timeout=PREPARE_DEADLINE,
                retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=2)),
            )
        except (ActivityError, ApplicationError) as exc:  # a local activity's failure may arrive unwrapped
            refusal = exc if isinstance(exc, ApplicationError) else exc.cause
            if isinstance(refusal, ApplicationError) and refusal.non_retryable:  # the order's own refusal
                raise ApplicationError(
                    refusal.message, *refusal.details, type=refusal.type, non_retryable=True
                ) from None
            raise _refuse(TemporalUnavailable("The order could not be prepared; try again shortly.")) from exc

    async def _check_voucher(self, code: str) -> str:
        try:
            result = await workflow.execute_local_activity(
                CART_CHECK_VOUCHER,
                VoucherCheckInput(code=code, subtotal=domain.view(self.state).subtotal, currency=self.state.currency),
                result_type=VoucherCheckResult,
                start_to_close_timeout=PRICE_TIMEOUT,
                schedule_to_close_timeout=PRICE_DEADLINE,
                retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=2)),
            )
        except (ActivityError, ApplicationError) as exc:  # a local activity's failure may arrive unwrapped
            refusal = exc if isinstance(exc, ApplicationError) else exc.cause
            if isinstance(refusal, ApplicationError) and refusal.non_retryable:  # voucher_invalid / _exhausted
                raise ApplicationError(
                    refusal.message, *refusal.details, type=refusal.type, non_retryable=True
                ) from None
            raise _refuse(TemporalUnavailable("The voucher could not be checked; try again shortly.")) from exc
        return result.code

    async def _price(self, skus: list[str]) -> dict[str, PricedSku]:
        try:
            result = await workflow.execute_local_activity(
                CART_PRICE_SKUS,
                PriceInput(skus=list(dict.fromkeys(skus))),
                result_type=PriceResult,
                start_to_close_timeout=PRICE_TIMEOUT,
                schedule_to_close_timeout=PRICE_DEADLINE,
                retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=2)),
            )
        except ActivityError as exc:
            raise _refuse(TemporalUnavailable("The catalog could not be read; try again shortly.")) from exc
        return {item.sku: item for item in result.items}

    async def _price_one(self, sku: str) -> PricedSku | None:
        return (await self._price([sku])).get(sku)

    @contextlib.asynccontextmanager
    async def _mutation(self) -> AsyncIterator[None]:
        async with self._lock, self._translated():
            # The validator ran before the lock: the cart may have closed while this update waited.
            domain.ensure_open(self.state.status)
            yield

    @contextlib.asynccontextmanager
    async def _translated(self) -> AsyncIterator[None]:
        try:
            yield
        except DomainError as error:
            raise _refuse(error) from error

    @contextlib.contextmanager
    def _refusals(self):  # type: ignore[no-untyped-def]
        try:
            yield
        except DomainError as error:
            raise _refuse(error) from error
