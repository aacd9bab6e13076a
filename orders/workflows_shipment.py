"""One shipment of an order (workflow type "ShipmentProcess", ``order-<number>-shipment-<n>``): a child workflow
of its order's process, so its capture, its delivery wait, its SLA timer and its compensation are visible in the
Temporal UI under the order (ADR 0120).

The order decides what the shipment ships and captures (``orders.domain.shipment_amount``) and remains the only
writer of the order's rows: the shipment runs the money and stock steps and *reports* each outcome to its parent
(signal ``shipment_report``); the order records it. Steps:

1. capture its amount (``final`` on the order's last shipment) and take its units off the shelf, then report
   ``shipped`` (or ``capture_failed`` when the PSP refuses; nothing was taken then);
2. wait for a final delivery status from the order (signal ``delivery``); meanwhile the SLA timer (shipped ->
   delivered within ``sla_hours``) reports ``sla_breached`` once;
3. ``not_delivered``: put its units back and refund its capture (a saga: each step retried until done), then
   report ``returned`` with the payment as it now stands.

Deterministic code only: contracts, domain rules and the saga helper.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from catalog.contracts import STOCK_FULFIL, STOCK_RESTOCK, ReserveResult, StockLine, StockOrderInput
    from orders.contracts import (
        SHIPMENT_WORKFLOW,
        SIGNAL_SHIPMENT_DELIVERY,
        SIGNAL_SHIPMENT_REPORT,
        ShipmentDelivery,
        ShipmentInput,
        ShipmentReport,
        activity_key,
        order_workflow_id,
    )
    from orders.domain import DeliveryStatus
    from orders.steps import CAPTURE_STEP, LOCAL_STEP, root_cause
    from payments.contracts import PAYMENT_CAPTURE, PAYMENT_REFUND, PaymentOrderInput, PaymentResult
    from sagas.saga import Saga


@workflow.defn(name=SHIPMENT_WORKFLOW)
class ShipmentWorkflow:
    def __init__(self) -> None:
        self.delivery: str = ""  # the final delivery status the order passed on ("" while in transit)
        self.step = "starting"
        self._returns = Saga()  # not delivered: restock, refund

    @workflow.run
    async def run(self, inp: ShipmentInput) -> str:
        parent = workflow.get_external_workflow_handle(order_workflow_id(inp.number))
        lines = [StockLine(sku=line.sku, quantity=line.quantity) for line in inp.lines]
        self.step = "capture"
        try:
            captured = await workflow.execute_activity(
                PAYMENT_CAPTURE,
                PaymentOrderInput(inp.number, self._key("payment.capture"), amount=inp.amount, final=inp.final),
                result_type=PaymentResult,
                **CAPTURE_STEP,
            )
        except ActivityError as error:
            self.step = "capture_failed"
            report = ShipmentReport(inp.seq, "capture_failed", detail=root_cause(error).message)
            await parent.signal(SIGNAL_SHIPMENT_REPORT, report)
            return self.step
        # Registered before the step they undo (a saga rule): a fulfil that half ran is restocked too.
        self._returns.add_compensation(
            "capture_payment",
            PAYMENT_REFUND,
            PaymentOrderInput(inp.number, self._key("refund"), amount=inp.amount),
        )
        self._returns.add_compensation(
            "fulfil_stock",
            STOCK_RESTOCK,
            StockOrderInput(inp.number, self._key("stock.restock"), lines=lines),
            local=True,
        )
        self.step = "fulfil"
        fulfilled = await workflow.execute_local_activity(
            STOCK_FULFIL,
            StockOrderInput(inp.number, self._key("stock.fulfil"), lines=lines),
            result_type=ReserveResult,
            **LOCAL_STEP,
        )
        allocations = [a.__dict__ for a in fulfilled.allocations]
        await parent.signal(SIGNAL_SHIPMENT_REPORT, ShipmentReport(inp.seq, "shipped", captured, allocations))

        self.step = "awaiting_delivery"
        if inp.sla_hours:
            try:
                await workflow.wait_condition(lambda: bool(self.delivery), timeout=timedelta(hours=inp.sla_hours))
            except TimeoutError:
                await parent.signal(SIGNAL_SHIPMENT_REPORT, ShipmentReport(inp.seq, "sla_breached"))
        await workflow.wait_condition(lambda: bool(self.delivery))
        if self.delivery == DeliveryStatus.DELIVERED:
            self.step = "delivered"
            return self.step

        self.step = "returning"
        await self._returns.compensate()
        # The payment as it stands now (the refund's key again: answered without moving money a second time).
        refunded = await workflow.execute_activity(
            PAYMENT_REFUND,
            PaymentOrderInput(inp.number, self._key("refund"), amount=inp.amount),
            result_type=PaymentResult,
            **CAPTURE_STEP,
        )
        await parent.signal(SIGNAL_SHIPMENT_REPORT, ShipmentReport(inp.seq, "returned", refunded))
        self.step = "returned"
        return self.step

    @workflow.signal(name=SIGNAL_SHIPMENT_DELIVERY)
    def deliver(self, inp: ShipmentDelivery) -> None:
        if not self.delivery:
            self.delivery = inp.status

    @workflow.query
    def progress(self) -> str:
        return self.step

    def _key(self, step: str) -> str:
        return activity_key(workflow.info().workflow_id, step)
