"""Return services: request (check, then start the return's workflow, which records the row), the process's writes
(record, write, receive, restock, refund: each idempotent, each one transaction), the steps asked of a return
(approve, reject, receive, cancel: validated updates of its workflow) and staff goodwill refunds.

Rules and money: docs/returns.md. The order's timeline is written through ``orders.services.order_write`` (the
order's one writer of events, e-mails included); the money through ``payments.services.payment_refund``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from catalog.stock import stock_return
from oms_project import temporal
from oms_project.errors import InvalidInput, NotFound
from oms_project.money import format_amount, parse_amount, quantize
from orders.bodies import order_bodies
from orders.contracts import ApplyInput, EventInput
from orders.domain import DeliveryStatus, PaymentStatus, can_change_payment
from orders.domain import Status as OrderStatus
from orders.models import Order, OrderEvent, OrderLine
from orders.services import order_write
from payments.models import Payment
from payments.services import payment_refund
from returns import domain
from returns.bodies import return_bodies
from returns.contracts import (
    ORDER_UPDATED,
    QUERY_PROGRESS,
    RETURN_REQUESTED,
    RETURN_WORKFLOW,
    UPDATE_APPROVE,
    UPDATE_CANCEL,
    UPDATE_RECEIVE,
    UPDATE_RECORDED,
    UPDATE_REJECT,
    ReceivedLine,
    ReceiveInput,
    ReceiveStepInput,
    RefundResult,
    RequestReturnInput,
    ReturnLineInput,
    ReturnProgress,
    ReturnStepInput,
    ReturnWriteInput,
    StepInput,
    WriteResult,
    return_workflow_id,
)
from returns.domain import HOLDING, LineRefundBasis, ReturnReason, ReturnStatus
from returns.errors import NotReturnable, ReturnStepRefused, ReturnWindowClosed
from returns.models import GoodwillRefund, Return, ReturnEvent, ReturnLine
from returns.numbers import return_id_for
from webhooks.services import webhook_event_publish

log = logging.getLogger(__name__)

MAX_NOTE = 1000
MAX_REASON = 255
# The long-running step of a return (API.md "Long-running actions": ``pending_action``).
PENDING_REFUND = "refund"


# --- What an order may still return --------------------------------------------------------------------------
def order_delivered_at(order: Order) -> datetime | None:
    """When the order was delivered (its ``delivered`` timeline event), or None if it was not."""
    if order.status != OrderStatus.DELIVERED:
        return None
    event = OrderEvent.objects.filter(order=order, type="delivered").order_by("id").first()
    return event.at if event else order.updated_at


def _held_units(order: Order, *, excluding: str = "") -> dict[int, int]:
    """Units of each order line that returns hold: requested while open, received once received or refunded."""
    held: dict[int, int] = defaultdict(int)
    rows = ReturnLine.objects.filter(ret__order=order, ret__status__in=HOLDING).exclude(ret_id=excluding)
    for line_id, status, quantity, received in rows.values_list(
        "order_line_id", "ret__status", "quantity", "received_quantity"
    ):
        open_ = status in (ReturnStatus.REQUESTED, ReturnStatus.APPROVED)
        held[line_id] += quantity if open_ else received
    return held


def order_return_window_open(order: Order) -> bool:
    """Delivered, and within RETURN_WINDOW_DAYS of delivery now (pages offer "Return items" only then)."""
    return domain.window_is_open(order_delivered_at(order), settings.RETURN_WINDOW_DAYS, now=timezone.now())


def delivered_units(order: Order) -> dict[str, int]:
    """Per sku, the units that reached the customer: those of its delivered shipments (a shipment not delivered
    was refunded and restocked already). An order shipped before split shipments has no shipment rows: all of
    its lines were delivered together."""
    shipments = list(order.shipments.all())
    lines = order.lines.order_by("position")
    if not shipments:
        return {line.sku: line.quantity for line in lines}
    units = dict.fromkeys((line.sku for line in lines), 0)
    for shipment in shipments:
        if shipment.delivery_status == DeliveryStatus.DELIVERED:
            for line in shipment.lines:
                units[line["sku"]] = units.get(line["sku"], 0) + int(line["quantity"])
    return units


def returnable_units(order: Order) -> dict[str, int]:
    """Per sku: delivered units less what other open or refunded returns hold (API.md)."""
    if order.status != OrderStatus.DELIVERED:
        return {}
    held = _held_units(order)
    delivered = delivered_units(order)
    return {line.sku: delivered.get(line.sku, 0) - held.get(line.pk, 0) for line in order.lines.order_by("position")}


def _requested(lines: list[dict[str, Any]]) -> dict[str, int]:
    """The lines' shape (the serializer checked types; services are called by pages too): sku -> units."""
    if not lines:
        raise InvalidInput("A return needs at least one line.", field="lines")
    wanted: dict[str, int] = {}
    for index, line in enumerate(lines):
        quantity = line.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 999:
            raise InvalidInput("Quantities are whole numbers from 1 to 999.", field=f"lines[{index}].quantity")
        sku = str(line.get("sku") or "")
        wanted[sku] = wanted.get(sku, 0) + quantity
    return wanted


def _check_returnable(order: Order, wanted: dict[str, int], *, now: datetime) -> datetime:
    """The rules of a new return, read from the database (the caller holds the order's lock when it matters)."""
    delivered_at = order_delivered_at(order)
    if delivered_at is None:
        raise NotReturnable(f"Order {order.number} is {order.status}; only delivered items can be returned.")
    if not domain.window_is_open(delivered_at, settings.RETURN_WINDOW_DAYS, now=now):
        raise ReturnWindowClosed(
            f"Order {order.number} was delivered more than {settings.RETURN_WINDOW_DAYS:g} days ago.",
            details={"delivered_at": delivered_at.isoformat()},
        )
    problem = domain.quantity_problem(wanted, returnable_units(order))
    if problem:
        sku, why = problem
        index = list(wanted).index(sku) if sku in wanted else 0
        raise NotReturnable(why, field=f"lines[{index}].quantity", details={"sku": sku})
    return delivered_at


# --- Requesting a return -------------------------------------------------------------------------------------
def return_request(
    *, order: Order, lines: list[dict[str, Any]], reason: str, note: str = "", actor: str, idempotency_key: str
) -> Return:
    """Ask for a return of delivered units: checked here (a fast 409), then the return's workflow starts and its
    first activity records the row with the order locked, checking again (so concurrent returns never exceed what
    was delivered). The same ``idempotency_key`` (already scoped to its owner) always names the same return."""
    return_id = return_id_for(idempotency_key)
    if (existing := Return.objects.filter(pk=return_id).first()) is not None:
        return existing
    if reason not in ReturnReason.__members__.values():
        raise InvalidInput(f"reason is one of {', '.join(ReturnReason)}.", field="reason")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"At most {MAX_NOTE} characters.", field="note")
    wanted = _requested(lines)
    now = timezone.now()
    delivered_at = _check_returnable(order, wanted, now=now)
    inp = RequestReturnInput(
        return_id=return_id,
        order_number=order.number,
        lines=[ReturnLineInput(sku=sku, quantity=quantity) for sku, quantity in wanted.items()],
        reason=reason,
        note=note,
        actor=actor,
        requested_at=now.isoformat(),
        delivered_at=delivered_at.isoformat(),
        window_days=float(settings.RETURN_WINDOW_DAYS),
        receive_days=float(settings.RETURN_RECEIVE_DAYS),
        webhook_task_queue=settings.WEBHOOK_TASK_QUEUE,
        email_task_queue=settings.EMAIL_TASK_QUEUE,
    )
    temporal.update_with_start(
        UPDATE_RECORDED,
        return_id,
        workflow=RETURN_WORKFLOW,
        workflow_arg=inp,
        workflow_id=return_workflow_id(return_id),
        task_queue=settings.ORDER_TASK_QUEUE,
    )
    ret = Return.objects.filter(pk=return_id).first()
    if ret is None:  # the update answers only once the record activity committed (or refused)
        raise NotReturnable("The return was not recorded.")
    return ret


def return_record(*, inp: RequestReturnInput) -> WriteResult:
    """The return workflow's first activity: the row, its lines and its first event, exactly once, with the order
    row locked while the units are checked (two returns of the same units: the second is refused), plus the
    order's timeline event and the ``return.requested`` webhook event in the same transaction."""
    if Return.objects.filter(pk=inp.return_id).exists():
        return _replayed(inp.return_id, f"{return_workflow_id(inp.return_id)}:record", [RETURN_REQUESTED])
    requested_at = parse_datetime(inp.requested_at) or timezone.now()
    key = f"{return_workflow_id(inp.return_id)}:record"
    try:
        with transaction.atomic():
            order = Order.objects.select_for_update().get(number=inp.order_number)
            wanted = {line.sku: line.quantity for line in inp.lines}
            _check_returnable(order, wanted, now=requested_at)
            order_lines = {line.sku: line for line in order.lines.all()}
            ret = Return.objects.create(
                id=inp.return_id,
                order=order,
                reason=inp.reason,
                note=inp.note,
                currency=order.currency,
                requested_by=inp.actor,
                created_at=requested_at,
                updated_at=requested_at,
            )
            ReturnLine.objects.bulk_create(
                ReturnLine(ret=ret, order_line=order_lines[sku], sku=sku, quantity=quantity)
                for sku, quantity in wanted.items()
            )
            return _record_write(
                ret,
                ReturnWriteInput(
                    return_id=ret.pk,
                    idempotency_key=key,
                    actor=inp.actor,
                    at=requested_at.isoformat(),
                    event_type="requested",
                    data={"reason": inp.reason, "lines": [{"sku": s, "quantity": q} for s, q in wanted.items()]},
                    order_event="return_requested",
                    publish=[RETURN_REQUESTED],
                ),
            )
    except IntegrityError:
        if not Return.objects.filter(pk=inp.return_id).exists():
            raise
        return _replayed(inp.return_id, key, [RETURN_REQUESTED])


def _replayed(return_id: str, key: str, publish: list[str]) -> WriteResult:
    """A write applied before: its webhook deliveries and e-mails again, so a retried write still starts them
    (publishing again finds the events by their dedupe keys; the order's write is replayed by its own key)."""
    ret = Return.objects.select_related("order").get(pk=return_id)
    email_ids: list[int] = []
    if OrderEvent.objects.filter(idempotency_key=f"{key}:order:0").exists():
        email_ids = order_write(inp=_order_apply(ret, key, "return_updated", "system", "")).email_ids
    return WriteResult(delivery_ids=_publish(ret, publish, key), email_ids=email_ids)


def _order_apply(ret: Return, key: str, event_type: str, actor: str, at: str | Any) -> ApplyInput:
    data = {"return_id": ret.pk}
    return ApplyInput(
        number=ret.order.number,
        idempotency_key=f"{key}:order",
        actor=actor or "system",
        at=at if isinstance(at, str) and at else timezone.now().isoformat(),
        events=[EventInput(event_type or "return_updated", data)],
    )


def _publish(ret: Return, event_types: list[str], key: str) -> list[int]:
    """The webhook events of one write (outbox, in the caller's transaction): ``return.*`` with the return body,
    ``order.updated`` with the order body; one event per write (dedupe keys from the write's key)."""
    deliveries: list[int] = []
    order = ret.order
    for event_type in event_types:
        if event_type == ORDER_UPDATED:
            order.refresh_from_db()
            data = order_bodies([order])[0]
        else:
            data = return_bodies([ret])[0]
        deliveries += webhook_event_publish(
            partner_id=order.partner_id,
            event_type=event_type,
            data=data,
            dedupe_key=f"{key}:{event_type}",
            start_deliveries=False,
        )
    return deliveries


def _record_write(ret: Return, inp: ReturnWriteInput) -> WriteResult:
    """Inside the caller's transaction: the return's event (its key guards the write), the order's timeline event
    (with its e-mails, through the order's writer) and the webhook events."""
    ReturnEvent.objects.create(
        ret=ret,
        type=inp.event_type,
        at=parse_datetime(inp.at) or timezone.now(),
        actor=inp.actor,
        data=inp.data,
        idempotency_key=f"{inp.idempotency_key}:0",
    )
    email_ids: list[int] = []
    if inp.order_event:
        apply = _order_apply(ret, inp.idempotency_key, inp.order_event, inp.actor, inp.at)
        apply.events[0].data.update(inp.data)
        email_ids = order_write(inp=apply).email_ids
    return WriteResult(delivery_ids=_publish(ret, inp.publish, inp.idempotency_key), email_ids=email_ids)


# --- The process's writes ------------------------------------------------------------------------------------
def _lock_order_of(return_id: str) -> Order:
    """Lock the return's order row: every write that counts an order's returned units or refunds holds it first."""
    number = Return.objects.filter(pk=return_id).values_list("order__number", flat=True).get()
    return Order.objects.select_for_update().get(number=number)


def return_write(*, inp: ReturnWriteInput) -> WriteResult:
    """One step of the return process on the read model: status (through the transition table) and fields, the
    return's event, the order's event and the webhook events, in one transaction, at most once."""
    with transaction.atomic():
        order = _lock_order_of(inp.return_id)  # order, then return: the lock order of every return write
        ret = Return.objects.select_for_update().select_related("order").get(pk=inp.return_id)
        if ReturnEvent.objects.filter(idempotency_key=f"{inp.idempotency_key}:0").exists():
            return _replayed(ret.pk, inp.idempotency_key, inp.publish)
        changed = ["updated_at"]
        if inp.status and inp.status != ret.status:
            domain.check_transition(ret.status, inp.status)
            ret.status = inp.status
            changed.append("status")
        if inp.receive_deadline is not None:
            ret.approved_at, ret.receive_deadline = parse_datetime(inp.at), parse_datetime(inp.receive_deadline)
            changed += ["approved_at", "receive_deadline"]
        if inp.reject_reason is not None:
            ret.reject_reason = inp.reject_reason
            changed.append("reject_reason")
        if inp.refunded_amount is not None:
            ret.refunded_amount = Decimal(inp.refunded_amount)
            changed.append("refunded_amount")
            order_refunds_follow_payment(order=order)
        if inp.pending_action is not None:
            ret.pending_action = inp.pending_action
            changed.append("pending_action")
        ret.updated_at = timezone.now()
        ret.save(update_fields=changed)
        result = _record_write(ret, inp)
    log.info("return %s: %s", ret.pk, inp.event_type)
    return result


def return_receive_apply(*, inp: ReceiveStepInput) -> WriteResult:
    """Received: the units that came back (default: every requested unit, restocked) and what each line refunds
    (``domain.line_refund``: its share of the line's total, the completing return takes the line's remainder),
    capped at what the order's payment can still refund. Decided with the order row locked, so two returns of the
    same line received at once see each other. Status ``received`` and the ``pending_action`` refund."""
    with transaction.atomic():
        order = _lock_order_of(inp.return_id)
        ret = Return.objects.select_for_update().get(pk=inp.return_id)
        if ReturnEvent.objects.filter(idempotency_key=f"{inp.idempotency_key}:0").exists():
            return _replayed(ret.pk, inp.idempotency_key, [])
        domain.check_transition(ret.status, ReturnStatus.RECEIVED)
        lines = list(ret.lines.select_related("order_line"))
        received = _received(inp.receive, lines)
        basis = _refund_basis(order, excluding=ret.pk)
        total = Decimal("0")
        for line in lines:
            quantity, restock = received[line.sku]
            line.received_quantity, line.restock = quantity, restock
            line.refund_amount = domain.line_refund(basis[line.order_line_id], quantity, ret.currency)
            total += line.refund_amount
        ReturnLine.objects.bulk_update(lines, ["received_quantity", "restock", "refund_amount"])
        refund = domain.capped_refund(total, _refundable(order, excluding=ret.pk))
        ret.status, ret.refund_amount, ret.pending_action = ReturnStatus.RECEIVED, refund, PENDING_REFUND
        ret.updated_at = timezone.now()
        ret.save(update_fields=["status", "refund_amount", "pending_action", "updated_at"])
        data = {
            "lines": [{"sku": line.sku, "received": line.received_quantity, "restock": line.restock} for line in lines],
            "refund_amount": format_amount(refund, ret.currency),
        }
        if refund < total:
            data["capped_from"] = format_amount(total, ret.currency)
        ret.order = order
        return _record_write(
            ret,
            ReturnWriteInput(
                return_id=ret.pk,
                idempotency_key=inp.idempotency_key,
                actor=inp.receive.actor,
                at=inp.at,
                event_type="received",
                data=data,
                order_event="return_received",
            ),
        )


def order_refunds_follow_payment(*, order: Order) -> None:
    """The order's ``refunded_amount`` and ``payment_status`` (partially_refunded / refunded) from its payment, the
    source of truth (payments v2 counts every refund once, by key). Called, with the order row locked, by the write
    that records a refund, so a retried write converges on the same figures."""
    payment = Payment.objects.filter(order_number=order.number).first()
    if payment is None:
        return
    order.refunded_amount = payment.refunded_amount
    fields = ["refunded_amount", "updated_at"]
    refund_statuses = (PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
    if payment.status in refund_statuses and can_change_payment(order.payment_status, payment.status):
        order.payment_status = payment.status
        fields.append("payment_status")
    order.updated_at = timezone.now()
    order.save(update_fields=fields)


def _received(receive: ReceiveInput, lines: list[ReturnLine]) -> dict[str, tuple[int, bool]]:
    requested = {line.sku: line.quantity for line in lines}
    if not receive.lines:
        return {sku: (quantity, True) for sku, quantity in requested.items()}
    given = {line.sku: (line.quantity, line.restock) for line in receive.lines}
    problem = domain.received_problem({sku: q for sku, (q, _) in given.items()}, requested)
    if problem:
        raise InvalidInput(problem[1], field="lines", details={"sku": problem[0]})
    return {sku: given.get(sku, (0, True)) for sku in requested}


def _refund_basis(order: Order, *, excluding: str) -> dict[int, LineRefundBasis]:
    """Each order line's total, and what received or refunded returns (other than ``excluding``) took of it."""
    taken_units: dict[int, int] = defaultdict(int)
    taken_amount: dict[int, Decimal] = defaultdict(Decimal)
    rows = ReturnLine.objects.filter(
        ret__order=order, ret__status__in=(ReturnStatus.RECEIVED, ReturnStatus.REFUNDED)
    ).exclude(ret_id=excluding)
    for line_id, units, amount in rows.values_list("order_line_id", "received_quantity", "refund_amount"):
        taken_units[line_id] += units
        taken_amount[line_id] += amount
    return {
        line.pk: LineRefundBasis(
            total=line.total,
            quantity=line.quantity,
            refunded_units=taken_units[line.pk],
            refunded_amount=taken_amount[line.pk],
        )
        for line in OrderLine.objects.filter(order=order)
    }


def _refundable(order: Order, *, excluding: str = "") -> Decimal:
    """What the order's payment can still refund: captured less refunded, less what received returns are about to
    refund (their refund step has not run yet)."""
    payment = Payment.objects.filter(order_number=order.number).first()
    if payment is None:
        return Decimal("0")
    owed = sum(
        Return.objects.filter(order=order, status=ReturnStatus.RECEIVED)
        .exclude(pk=excluding)
        .values_list("refund_amount", flat=True),
        Decimal("0"),
    )
    return payment.captured_amount - payment.refunded_amount - owed


def return_restock(*, inp: ReturnStepInput) -> None:
    """The received units through the stock ledger: restocked ones back on hand (into the warehouse they left),
    the others recorded as written off. One transaction, keyed: a repeat changes nothing."""
    ret = Return.objects.select_related("order").get(pk=inp.return_id)
    lines = [(line.sku, line.received_quantity, line.restock) for line in ret.lines.all() if line.received_quantity > 0]
    stock_return(
        order_number=ret.order.number, lines=lines, idempotency_key=inp.idempotency_key, reason=f"return {ret.pk}"
    )


def return_refund(*, inp: ReturnStepInput) -> RefundResult:
    """Refund the return's amount through payments v2 with the return's own key: the same key twice refunds once,
    and the payments service updates the payment, ``Order.refunded_amount`` and ``payment_status`` together."""
    ret = Return.objects.select_related("order").get(pk=inp.return_id)
    amount = ret.refund_amount
    if amount > 0:
        payment_refund(order_number=ret.order.number, idempotency_key=inp.idempotency_key, amount=amount)
    return RefundResult(amount=format_amount(amount, ret.currency), currency=ret.currency)


# --- Steps asked of a return (API, pages, admin) ---------------------------------------------------------------
@dataclass(frozen=True)
class ReturnActionAnswer:
    """A return step's answer: the return as it stands, and the step still running ("" when it finished)."""

    ret: Return
    pending_action: str = ""


def _step(ret: Return, target: ReturnStatus, update: str, arg: Any, *, wait_seconds: float | None) -> Any:
    if refusal := domain.step_refusal(ret.status, target):
        raise ReturnStepRefused(f"Return {ret.pk} {refusal}.")
    seconds = settings.ORDER_ACTION_ANSWER_SECONDS if wait_seconds is None else wait_seconds
    answer = temporal.update_within(return_workflow_id(ret.pk), update, arg, seconds=seconds)
    ret.refresh_from_db()
    pending = "" if answer.done else _PENDING_STEP[target]
    return ReturnActionAnswer(ret=ret, pending_action=pending or ret.pending_action)


# What a step answered with 202 is still doing (API.md "Long-running actions": ``pending_action``).
_PENDING_STEP = {
    ReturnStatus.APPROVED: "approve",
    ReturnStatus.REJECTED: "reject",
    ReturnStatus.CANCELLED: "cancel",
    ReturnStatus.RECEIVED: PENDING_REFUND,
}


def return_approve(*, ret: Return, actor: str, wait_seconds: float | None = None) -> ReturnActionAnswer:
    return _step(ret, ReturnStatus.APPROVED, UPDATE_APPROVE, StepInput(actor=actor), wait_seconds=wait_seconds)


def return_reject(*, ret: Return, reason: str, actor: str, wait_seconds: float | None = None) -> ReturnActionAnswer:
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(f"A reason (1 to {MAX_REASON} characters) is required.", field="reason")
    arg = StepInput(actor=actor, reason=reason)
    return _step(ret, ReturnStatus.REJECTED, UPDATE_REJECT, arg, wait_seconds=wait_seconds)


def return_cancel(*, ret: Return, actor: str, wait_seconds: float | None = None) -> ReturnActionAnswer:
    return _step(ret, ReturnStatus.CANCELLED, UPDATE_CANCEL, StepInput(actor=actor), wait_seconds=wait_seconds)


def return_receive(
    *, ret: Return, lines: list[dict[str, Any]] | None, actor: str, wait_seconds: float | None = None
) -> ReturnActionAnswer:
    """Receive the parcel: per line the units that came back and whether they go back on stock (default: every
    requested unit, restocked). The return then restocks and refunds by itself (``refunded``)."""
    received = []
    requested = {line.sku: line.quantity for line in ret.lines.all()}
    for index, line in enumerate(lines or []):
        sku, quantity = str(line.get("sku") or ""), line.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise InvalidInput("A whole number of units.", field=f"lines[{index}].quantity")
        problem = domain.received_problem({sku: quantity}, requested)
        if problem:
            raise InvalidInput(problem[1], field=f"lines[{index}].quantity", details={"sku": sku})
        received.append(ReceivedLine(sku=sku, quantity=quantity, restock=bool(line.get("restock", True))))
    arg = ReceiveInput(actor=actor, lines=received)
    return _step(ret, ReturnStatus.RECEIVED, UPDATE_RECEIVE, arg, wait_seconds=wait_seconds)


# --- Staff goodwill refunds ----------------------------------------------------------------------------------
def order_refundable(order: Order) -> Decimal:
    """What staff may still refund of the order (captured less refunded less what received returns will refund)."""
    return max(_refundable(order), Decimal("0"))


def order_goodwill_refund(*, order: Order, amount: str | Decimal, reason: str, actor: str, key: str) -> GoodwillRefund:
    """A staff refund of any amount up to what remains refundable, with a reason, through the same refund path as
    returns (``payment_refund`` with the request's own key: one refund whatever the repeats), recorded on the
    order's timeline (``goodwill_refund``) with an ``order.updated`` webhook event."""
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(f"A reason (1 to {MAX_REASON} characters) is required.", field="reason")
    try:
        value = parse_amount(amount)
    except ValueError:
        raise InvalidInput("A decimal amount, e.g. 5.00.", field="amount") from None
    if value <= 0 or quantize(value, order.currency) != value:
        raise InvalidInput(f"A positive amount in {order.currency} (at most its minor digits).", field="amount")
    if not key or len(key) > 64:
        raise InvalidInput("A request key is required.", field="key")
    existing = GoodwillRefund.objects.filter(key=key).first()
    if existing is None:
        refundable = order_refundable(order)
        if value > refundable:
            raise InvalidInput(
                f"At most {format_amount(refundable, order.currency)} {order.currency} can still be refunded.",
                field="amount",
            )
        existing, _ = GoodwillRefund.objects.get_or_create(
            key=key,
            defaults={"order": order, "amount": value, "currency": order.currency, "reason": reason, "actor": actor},
        )
    refund_key = f"goodwill-{existing.key}"
    payment_refund(order_number=order.number, idempotency_key=refund_key, amount=existing.amount)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        order_refunds_follow_payment(order=order)
        goodwill = GoodwillRefund.objects.select_for_update().get(pk=existing.pk)
        data = {"amount": format_amount(goodwill.amount, goodwill.currency), "reason": goodwill.reason}
        order_write(
            inp=ApplyInput(
                number=order.number,
                idempotency_key=refund_key,
                actor=goodwill.actor,
                at=timezone.now().isoformat(),
                events=[EventInput("goodwill_refund", data)],
            )
        )
        if goodwill.refunded_at is None:
            goodwill.refunded_at = timezone.now()
            goodwill.save(update_fields=["refunded_at"])
            order.refresh_from_db()
            webhook_event_publish(
                partner_id=order.partner_id,
                event_type=ORDER_UPDATED,
                data=order_bodies([order])[0],
                dedupe_key=f"{refund_key}:{ORDER_UPDATED}",
                start_deliveries=True,
            )
    return goodwill


def return_progress(*, ret: Return) -> ReturnProgress:
    """The running process's own view (a query; the admin's live state)."""
    return temporal.query(return_workflow_id(ret.pk), QUERY_PROGRESS, result_type=ReturnProgress)


def return_get(*, return_id: str) -> Return:
    ret = Return.objects.select_related("order").filter(pk=return_id).first()
    if ret is None:
        raise NotFound(f"No return {return_id}.")
    return ret


def returns_awaiting_action() -> int:
    return Return.objects.filter(status__in=domain.AWAITING_ACTION).count()
