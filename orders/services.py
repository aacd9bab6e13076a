"""Order services: place (price + start the workflow), record and apply (the workflow's writes), cancel, ship,
delivery events and delivery changes (each through a validated workflow update)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from carts.contracts import CartContents, OrderRequest
from catalog.selectors import variant_snapshots
from customers.models import Customer
from notifications.services import emails_record_for_order_events
from oms_project import observability, temporal
from oms_project.errors import InvalidInput, InvalidTransition, NotFound
from oms_project.money import format_amount
from oms_project.timestamps import TimestampError, timestamp_parse
from orders import domain
from orders.bodies import order_bodies
from orders.contracts import (
    ORDER_WORKFLOW,
    UPDATE_CANCEL,
    UPDATE_CHANGE_DELIVERY,
    UPDATE_DELIVERY_EVENT,
    UPDATE_EDIT,
    UPDATE_RECORDED,
    UPDATE_SHIP,
    ApplyInput,
    CancelInput,
    ChangeDeliveryInput,
    DeliveryEventInput,
    DeliveryEventResult,
    EditInput,
    LineInput,
    PaymentInput,
    PlaceOrderInput,
    ShipInput,
    ShipLine,
    WriteResult,
    order_workflow_id,
)
from orders.domain import Channel, PricedLine, Priority, Status
from orders.errors import (
    CurrencyMismatch,
    DeliveryEventNotAllowed,
    DeliveryNotChangeable,
    EditPaymentDeclined,
    InvalidQuantity,
    OrderNotCancellable,
    OrderNotEditable,
    OrderNotShippable,
    ShipmentRequired,
    TooManyLines,
    UnknownSku,
)
from orders.models import Order, OrderEvent, OrderLine, Shipment
from orders.numbers import cart_order_key, order_number_for, order_number_for_cart
from orders.pricing import pricing_rules
from partners.models import Partner
from payments.errors import PaymentDeclined
from vouchers.services import voucher_check, voucher_terms_of_order
from webhooks.contracts import order_event_dedupe_key
from webhooks.domain import REPEATABLE_EVENT_TYPES
from webhooks.services import webhook_event_publish, webhook_partner_has_endpoints

log = logging.getLogger(__name__)


def _price_lines(lines: list[dict[str, Any]]) -> tuple[list[PricedLine], str]:
    """Server-side prices from the catalog; the client sends only sku and quantity."""
    if not lines:
        raise InvalidInput("An order needs at least one line.", field="lines")
    if len(lines) > domain.MAX_LINES:
        raise TooManyLines(field="lines")
    quantities: dict[str, int] = {}
    for index, line in enumerate(lines):
        quantity = line.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise InvalidQuantity(field=f"lines[{index}].quantity")
        if not domain.MIN_QUANTITY <= quantity <= domain.MAX_QUANTITY:
            raise InvalidQuantity(field=f"lines[{index}].quantity")
        sku = str(line.get("sku") or "")
        quantities[sku] = quantities.get(sku, 0) + quantity
        if quantities[sku] > domain.MAX_QUANTITY:  # the same sku twice is one line
            raise InvalidQuantity(f"At most {domain.MAX_QUANTITY} units of {sku}.", field=f"lines[{index}].quantity")
    snapshots = variant_snapshots(quantities, with_stock=False)  # prices only: the workflow reserves the stock
    currencies = set()
    priced = []
    for index, (sku, quantity) in enumerate(quantities.items()):
        snapshot = snapshots.get(sku)
        if snapshot is None:
            raise UnknownSku(f"Unknown SKU {sku!r}.", field=f"lines[{index}].sku", details={"sku": sku})
        if not snapshot.is_active:
            raise UnknownSku(f"SKU {sku!r} is not for sale.", field=f"lines[{index}].sku", details={"sku": sku})
        currencies.add(snapshot.currency)
        priced.append(PricedLine(sku=sku, name=snapshot.name, unit_price=snapshot.price, quantity=quantity))
    if len(currencies) != 1:
        raise CurrencyMismatch(field="lines")
    return priced, currencies.pop()


def order_place(
    *,
    partner: Partner | None = None,
    customer: Customer | None = None,
    channel: str,
    lines: list[dict[str, Any]],
    contact: dict[str, str],
    shipping_address: dict[str, str],
    delivery: dict[str, Any] | None,
    payment: dict[str, str],
    external_ref: str = "",
    voucher_code: str = "",
    idempotency_key: str,
    actor: str,
) -> Order:
    """Price the order and start its workflow, which records it (no dual write). Returns the recorded order.

    The same ``idempotency_key`` always gives the same order: its number derives from the key and the
    workflow id from the number, so a repeat attaches to the running workflow or finds the recorded row.
    """
    number = order_number_for(idempotency_key)
    # A repeat of a placed order answers it as recorded. Asked with EXISTS: a new order, the usual case, builds no
    # model from a row (half the CPU of the full look-up).
    if Order.objects.filter(number=number).exists() and (existing := order_get(number=number)) is not None:
        return existing
    inp = order_prepare(
        partner=partner,
        customer=customer,
        channel=channel,
        lines=lines,
        contact=contact,
        shipping_address=shipping_address,
        delivery=delivery,
        payment=payment,
        external_ref=external_ref,
        voucher_code=voucher_code,
        idempotency_key=idempotency_key,
        actor=actor,
    )
    order_start(inp=inp)
    order = order_get(number=inp.number)
    if order is None:  # the update returns only after the record activity committed
        raise InvalidTransition("The order was not recorded.")
    return order


def _line_inputs(priced: list[PricedLine], totals: domain.Totals, currency: str) -> list[LineInput]:
    """The lines as the order process carries them: catalog prices and each line's share of the totals."""
    return [
        LineInput(
            sku=line.sku,
            name=line.name,
            unit_price=format_amount(line.unit_price, currency),
            quantity=line.quantity,
            line_total=format_amount(share.line_total, currency),
            discount=format_amount(share.discount, currency),
            tax=format_amount(share.tax, currency),
            total=format_amount(share.total, currency),
        )
        for line, share in zip(priced, totals.lines, strict=True)
    ]


def order_prepare(
    *,
    partner: Partner | None = None,
    customer: Customer | None = None,
    channel: str,
    lines: list[dict[str, Any]],
    contact: dict[str, str],
    shipping_address: dict[str, str],
    delivery: dict[str, Any] | None,
    payment: dict[str, str],
    external_ref: str = "",
    voucher_code: str = "",
    idempotency_key: str,
    actor: str,
) -> PlaceOrderInput:
    """Validate and price an order into the workflow's input (no writes). A voucher is checked here (a refusal
    answers the caller at once) and redeemed by the order's saga, under the voucher's row lock."""
    if partner is not None and customer is not None:
        raise InvalidInput("An order belongs to exactly one partner or one customer.")
    if partner is None and customer is None and channel != Channel.WEB:
        # Only the storefront places guest orders (no owner; reached through a signed lookup link).
        raise InvalidInput("An order belongs to a partner or a customer.")
    priced, currency = _price_lines(lines)
    delivery = delivery or {}
    priority = delivery.get("priority") or Priority.NORMAL
    if priority not in Priority.__members__.values():
        raise InvalidInput("Priority is normal or urgent.", field="delivery.priority")
    period = _delivery_period_checked(delivery, stored={})
    period_start, period_end = (period[name].isoformat() if period[name] else None for name in period)
    method = payment.get("method")
    token = payment.get("token") if method == "card" else payment.get("reference")
    if method not in ("card", "external") or not token:
        raise InvalidInput("Payment is {method: card, token} or {method: external, reference}.", field="payment")
    voucher = None
    if voucher_code and voucher_code.strip():
        voucher = voucher_check(
            code=voucher_code,
            subtotal=domain.subtotal_of(priced, currency),
            currency=currency,
            email=str(contact.get("email") or ""),
        )
    totals = domain.compute_totals(priced, currency, pricing_rules(), priority=priority, voucher=voucher)
    return PlaceOrderInput(
        number=order_number_for(idempotency_key),
        channel=channel,
        partner_id=partner.pk if partner else None,
        customer_id=customer.pk if customer else None,
        external_ref=external_ref or "",
        currency=currency,
        lines=_line_inputs(priced, totals, currency),
        subtotal=format_amount(totals.subtotal, currency),
        discount=format_amount(totals.discount, currency),
        shipping=format_amount(totals.shipping, currency),
        tax=format_amount(totals.tax, currency),
        total=format_amount(totals.total, currency),
        contact={k: str(contact.get(k) or "") for k in ("email", "name", "phone")},
        shipping_address={
            k: str(shipping_address.get(k) or "") for k in ("name", "line1", "line2", "city", "postal_code", "country")
        },
        delivery={"priority": str(priority), "period_start": period_start, "period_end": period_end},
        payment=PaymentInput(method=method, token=token),
        actor=actor,
        placed_at=timezone.now().isoformat(),
        sla_hours={
            Status.CONFIRMED.value: float(settings.ORDER_SLA_CONFIRMED_HOURS),
            Status.SHIPPED.value: float(settings.ORDER_SLA_SHIPPED_HOURS),
        },
        webhook_task_queue=settings.WEBHOOK_TASK_QUEUE,
        email_task_queue=settings.EMAIL_TASK_QUEUE,
        voucher_code=totals.voucher_code,
    )


def order_place_from_cart(
    *,
    cart_id: str,
    partner: Partner | None = None,
    customer: Customer | None = None,
    contact: dict[str, str],
    shipping_address: dict[str, str],
    delivery: dict[str, Any] | None,
    payment: dict[str, str],
    idempotency_key: str,
    actor: str,
) -> Order:
    """Check the cart out: its workflow prices and starts the order, then closes the cart, as one durable step
    (``CartWorkflow.checkout`` with an ``OrderRequest``). The order number derives from the cart id, so one cart
    can only ever become one order, whatever the retries; the same key re-reads the closed cart's contents.

    A partner's cart becomes a ``cart`` order; a storefront cart (a customer's, or a guest's with neither
    owner) a ``web`` order. If the call fails after the cart closed (a timeout), the order still comes:
    ``order_number_for_cart`` names it."""
    from carts.services import cart_checkout_close

    request = OrderRequest(
        contact=dict(contact),
        shipping_address=dict(shipping_address),
        payment=dict(payment),
        actor=actor,
        delivery=dict(delivery) if delivery else None,
        partner_id=partner.pk if partner else None,
        customer_id=customer.pk if customer else None,
    )
    contents = cart_checkout_close(cart_id=cart_id, idempotency_key=idempotency_key, order=request)
    order = order_get(number=order_number_for_cart(cart_id))
    if order is None:
        # A cart closed by code older than the one-step checkout, or its order still starting (this call replayed
        # the checkout from the row): starting it again attaches to the same workflow.
        order_start(inp=order_prepare_for_cart(contents=contents, request=request))
        order = order_get(number=order_number_for_cart(cart_id))
    if order is None:  # the update returns only after the record activity committed
        raise InvalidTransition("The order was not recorded.")
    return order


def order_prepare_for_cart(*, contents: CartContents, request: OrderRequest) -> PlaceOrderInput:
    """The order of a cart being checked out (called by the cart workflow before it closes the cart). The
    number derives from the cart id: one cart, one order."""
    return order_prepare(
        partner=Partner.objects.get(pk=request.partner_id) if request.partner_id else None,
        customer=Customer.objects.get(pk=request.customer_id) if request.customer_id else None,
        channel=Channel.CART if request.partner_id else Channel.WEB,
        lines=[{"sku": line.sku, "quantity": line.quantity} for line in contents.lines],
        contact=request.contact,
        shipping_address=request.shipping_address,
        delivery=request.delivery,
        payment=request.payment,
        external_ref="",
        voucher_code=contents.voucher_code,  # the cart's voucher, checked again now (a refusal keeps the cart open)
        idempotency_key=cart_order_key(contents.cart_id),
        actor=request.actor,
    )


def order_start(*, inp: PlaceOrderInput) -> None:
    """Start ``order-<number>`` (or attach to it) and wait until its first activity has recorded the order."""
    workflow_id = order_workflow_id(inp.number)
    with observability.bind(order_number=inp.number, workflow_id=workflow_id):
        log.info(
            "starting order workflow (%s, %s lines, total %s %s)", inp.channel, len(inp.lines), inp.total, inp.currency
        )
        temporal.update_with_start(
            UPDATE_RECORDED,
            inp.number,
            workflow=ORDER_WORKFLOW,
            workflow_arg=inp,
            workflow_id=workflow_id,
            task_queue=settings.ORDER_TASK_QUEUE,
        )


def order_get(*, number: str) -> Order | None:
    return Order.objects.filter(number=number).first()


def order_record(*, inp: PlaceOrderInput) -> WriteResult:
    """The workflow's first activity: write the order, its lines and the ``created`` event, exactly once, and
    record the partner's ``order.created`` webhook event in the same transaction (outbox, see
    ``_publish_webhook_events``), and its e-mails (``notifications``). Returns the webhook deliveries and e-mails to
    start (the order process dispatches them)."""
    if (recorded := Order.objects.filter(number=inp.number).first()) is not None:
        return WriteResult(_publish_webhook_events(order=recorded, event_types=[ORDER_CREATED_EVENT]))
    now = parse_datetime(inp.placed_at) or timezone.now()
    try:
        with transaction.atomic():
            order = Order.objects.create(
                number=inp.number,
                partner_id=inp.partner_id,
                customer_id=inp.customer_id,
                channel=inp.channel,
                external_ref=inp.external_ref,
                currency=inp.currency,
                subtotal=Decimal(inp.subtotal),
                discount=Decimal(inp.discount),
                tax=Decimal(inp.tax),
                shipping=Decimal(inp.shipping),
                total=Decimal(inp.total),
                voucher_code=inp.voucher_code,
                contact_email=inp.contact.get("email", ""),
                contact_name=inp.contact.get("name", ""),
                contact_phone=inp.contact.get("phone", ""),
                ship_name=inp.shipping_address.get("name", ""),
                ship_line1=inp.shipping_address.get("line1", ""),
                ship_line2=inp.shipping_address.get("line2", ""),
                ship_city=inp.shipping_address.get("city", ""),
                ship_postal_code=inp.shipping_address.get("postal_code", ""),
                ship_country=inp.shipping_address.get("country", ""),
                delivery_priority=inp.delivery.get("priority") or Priority.NORMAL,
                delivery_period_start=parse_datetime(inp.delivery["period_start"])
                if inp.delivery.get("period_start")
                else None,
                delivery_period_end=parse_datetime(inp.delivery["period_end"])
                if inp.delivery.get("period_end")
                else None,
                payment_method=inp.payment.method,
                created_at=now,
                updated_at=now,
            )
            OrderLine.objects.bulk_create(
                OrderLine(
                    order=order,
                    position=position,
                    sku=line.sku,
                    name=line.name,
                    unit_price=Decimal(line.unit_price),
                    quantity=line.quantity,
                    line_total=Decimal(line.line_total),
                    discount=share.discount,
                    tax=share.tax,
                    total=share.total,
                )
                for position, (line, share) in enumerate(zip(inp.lines, _line_shares(inp), strict=True), start=1)
            )
            created = OrderEvent.objects.create(
                order=order,
                type="created",
                at=now,
                actor=inp.actor,
                data={"total": inp.total, "currency": inp.currency, "channel": inp.channel},
                idempotency_key=f"{order_workflow_id(inp.number)}:created",
            )
            delivery_ids = _publish_webhook_events(order=order, event_types=[ORDER_CREATED_EVENT])
            email_ids = emails_record_for_order_events(order=order, events=[created])  # e-mail outbox
    except IntegrityError:
        if not Order.objects.filter(number=inp.number).exists():
            raise  # not the concurrent-duplicate case: let the activity retry
        return order_record(inp=inp)
    log.info("order recorded")
    return WriteResult(delivery_ids=delivery_ids, email_ids=email_ids)


ORDER_CREATED_EVENT = "order.created"


def _line_shares(inp: PlaceOrderInput) -> list[domain.LineShare]:
    """The lines' shares as priced; an input recorded before line shares existed carries none, so its order's
    discount and tax are split here with the same rule as ``domain.compute_totals``."""
    if all(line.total for line in inp.lines):
        return [
            domain.LineShare(
                line_total=Decimal(line.line_total),
                discount=Decimal(line.discount),
                tax=Decimal(line.tax),
                total=Decimal(line.total),
            )
            for line in inp.lines
        ]
    line_totals = [Decimal(line.line_total) for line in inp.lines]
    return list(
        domain.line_shares(line_totals, discount=Decimal(inp.discount), tax=Decimal(inp.tax), currency=inp.currency)
    )


def _publish_webhook_events(
    *, order: Order, event_types: list[str], start_deliveries: bool = False, write_key: str = ""
) -> list[int]:
    """Record the partner's webhook events for this order write inside the caller's transaction, so an event
    exists exactly when its transition does (an outbox; delivery workflows start after the commit). The body is
    the API order as this transaction sees it, rendered from ``order`` (the row just written, not read again).
    Repeating it is harmless (one event per order and type). Returns the deliveries still pending: the order
    process starts them from the workflow (``webhooks.dispatch``); ``start_deliveries`` starts them after the
    commit instead, for orders of OrderWorkflowV1. Orders without a partner publish nothing."""
    if order.partner_id is None or not event_types:
        return []
    if not webhook_partner_has_endpoints(partner_id=order.partner_id):
        return []  # nothing stored, nothing to send: skip the body (four queries) and the event lookups
    [data] = order_bodies([order])
    pending: list[int] = []
    for event_type in event_types:
        pending += webhook_event_publish(
            partner_id=order.partner_id,
            event_type=event_type,
            data=data,
            dedupe_key=order_event_dedupe_key(order.number, event_type)
            + (f":{write_key}" if event_type in REPEATABLE_EVENT_TYPES else ""),
            start_deliveries=start_deliveries,
        )
    return pending


def order_apply(*, inp: ApplyInput) -> None:
    """The write of OrderWorkflowV1's orders: ``order_write``, and their webhook deliveries started after it."""
    order_write(inp=inp, start_deliveries=True)


def order_write(*, inp: ApplyInput, start_deliveries: bool = False) -> WriteResult:
    """Apply one workflow step to the read model: status fields and timeline events, at most once, with the
    partner's webhook events of ``inp.publish`` recorded in the same transaction (outbox).

    The first event's idempotency key guards the whole write, so a replayed activity changes nothing.
    Status changes go through the transition table, so the read model can never move backwards.
    """
    start = {"start_deliveries": start_deliveries}
    if not inp.events:
        raise ValueError("order_write needs at least one event (its key makes the write idempotent)")
    at = parse_datetime(inp.at) or timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().get(number=inp.number)
        if OrderEvent.objects.filter(idempotency_key=f"{inp.idempotency_key}:0").exists():
            # Applied before: the same deliveries and e-mails again, so a retried write still gets them started.
            written = [f"{inp.idempotency_key}:{index}" for index in range(len(inp.events))]
            return WriteResult(
                delivery_ids=_publish_webhook_events(
                    order=order, event_types=inp.publish, write_key=inp.idempotency_key, **start
                ),
                email_ids=emails_record_for_order_events(
                    order=order,
                    events=OrderEvent.objects.filter(idempotency_key__in=written),
                    start_after_commit=start_deliveries,
                ),
            )
        changed = []
        if inp.status and inp.status != order.status:
            if not domain.can_transition(order.status, inp.status):
                raise InvalidTransition(f"{order.number}: {order.status} -> {inp.status} is not allowed.")
            order.status = inp.status
            changed.append("status")
        if inp.payment_status and inp.payment_status != order.payment_status:
            if not domain.can_change_payment(order.payment_status, inp.payment_status):
                raise InvalidTransition(f"{order.number}: payment {order.payment_status} -> {inp.payment_status}.")
            order.payment_status = inp.payment_status
            changed.append("payment_status")
        if "status" in changed and order.sla_breached_status:  # a new status starts a new SLA
            order.sla_breached_status, order.sla_breached_at = "", None
            changed += ["sla_breached_status", "sla_breached_at"]
        if inp.sla_breached_status is not None:
            order.sla_breached_status = inp.sla_breached_status
            order.sla_breached_at = at if inp.sla_breached_status else None
            changed += ["sla_breached_status", "sla_breached_at"]
        if inp.tracking is not None:
            order.tracking_carrier = inp.tracking.get("carrier", "")
            order.tracking_number = inp.tracking.get("tracking_number", "")
            changed += ["tracking_carrier", "tracking_number"]
        for name, value in (inp.details or {}).items():
            if name not in CHANGEABLE_DELIVERY_FIELDS:
                raise ValueError(f"{name} is not a delivery detail")
            setattr(order, name, parse_datetime(value) if value and name.startswith("delivery_period") else value)
            changed.append(name)
        for name in ("delivery_status", "failure_reason", "cancel_reason", "delivery_reference", "pending_action"):
            value = getattr(inp, name)
            if value is not None and value != getattr(order, name):
                setattr(order, name, value)
                changed.append(name)
        if inp.refunded_amount is not None:
            order.refunded_amount = Decimal(inp.refunded_amount)
            changed.append("refunded_amount")
        if inp.shipment is not None:
            _shipment_write(order, inp.shipment, at=at)
        if inp.lines is not None and inp.totals is not None:
            _lines_replace(order, inp.lines, inp.totals)
            changed += list(inp.totals)
        if inp.voucher_code is not None and inp.voucher_code != order.voucher_code:
            order.voucher_code = inp.voucher_code
            changed.append("voucher_code")
        order.updated_at = timezone.now()
        order.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
        events = OrderEvent.objects.bulk_create(
            OrderEvent(
                order=order,
                type=event.type,
                at=(parse_datetime(event.at) if event.at else None) or at,
                actor=inp.actor,
                data=event.data,
                idempotency_key=f"{inp.idempotency_key}:{index}",
            )
            for index, event in enumerate(inp.events)
        )
        delivery_ids = _publish_webhook_events(
            order=order, event_types=inp.publish, write_key=inp.idempotency_key, **start
        )
        email_ids = emails_record_for_order_events(order=order, events=events, start_after_commit=start_deliveries)
    log.info("order updated: %s", ", ".join(f"{name}={getattr(order, name)}" for name in changed) or "events only")
    return WriteResult(delivery_ids=delivery_ids, email_ids=email_ids)


_SHIPMENT_FIELDS = ("lines", "carrier", "tracking_number", "delivery_status", "amount_captured", "amount_refunded")


def _shipment_write(order: Order, shipment: dict[str, Any], *, at: datetime) -> None:
    """Create or change one shipment row inside the order's write (the keys present are written)."""
    values = {name: shipment[name] for name in _SHIPMENT_FIELDS if name in shipment}
    for name in ("amount_captured", "amount_refunded"):
        if name in values:
            values[name] = Decimal(values[name])
    row, created = Shipment.objects.get_or_create(
        order=order, seq=shipment["seq"], defaults={**values, "created_at": at, "updated_at": at}
    )
    if not created:
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = at
        row.save()


def _lines_replace(order: Order, lines: list[LineInput], totals: dict[str, str]) -> None:
    """An edit: the order's complete new lines and figures (priced and checked by the order process)."""
    order.lines.all().delete()
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            position=position,
            sku=line.sku,
            name=line.name,
            unit_price=Decimal(line.unit_price),
            quantity=line.quantity,
            line_total=Decimal(line.line_total),
            discount=Decimal(line.discount or 0),
            tax=Decimal(line.tax or 0),
            total=Decimal(line.total or line.line_total),
        )
        for position, line in enumerate(lines, start=1)
    )
    for name, value in totals.items():
        setattr(order, name, Decimal(value))


@dataclass(frozen=True)
class ActionAnswer:
    """An order action's answer (API.md "Long-running actions"): the order as it stands, and the action still
    running (``pending_action``, "" when it finished within the answer time)."""

    order: Order
    pending_action: str = ""


def _order_action(
    order: Order, update: str, arg: Any, *, action: str, wait_seconds: float | None, result_type: type | None = None
) -> ActionAnswer:
    """Send ``update`` to the order's process and wait at most ``wait_seconds`` (default
    ``ORDER_ACTION_ANSWER_SECONDS``; 0: until accepted). The workflow's validator refuses with the same domain
    rule the caller already asked, now with the live state (a DomainError: 409)."""
    seconds = settings.ORDER_ACTION_ANSWER_SECONDS if wait_seconds is None else wait_seconds
    answer = temporal.update_within(
        order_workflow_id(order.number), update, arg, seconds=seconds, result_type=result_type
    )
    order.refresh_from_db()
    return ActionAnswer(order=order, pending_action="" if answer.done else action)


def order_cancel(*, number: str, reason: str, actor: str, wait_seconds: float | None = None) -> ActionAnswer:
    """Cancel: the process releases the stock, voids the payment and cancels the delivery, then records
    ``cancelled``. Allowed until the order ships (``domain.cancel_refusal``), else ``OrderNotCancellable`` (409).
    A repeat while the cancel runs, or of a cancelled order, answers the order as it is."""
    order = Order.objects.get(number=number)
    if refusal := domain.cancel_refusal(order.status, order.pending_action):
        raise OrderNotCancellable(f"Order {number} {refusal}.")
    if order.status == Status.CANCELLED:
        return ActionAnswer(order=order)
    return _order_action(
        order,
        UPDATE_CANCEL,
        CancelInput(reason=reason, actor=actor),
        action=domain.PendingAction.CANCEL,
        wait_seconds=wait_seconds,
    )


def order_ship(
    *,
    number: str,
    carrier: str,
    tracking_number: str,
    actor: str,
    lines: list[dict[str, Any]] | None = None,
    wait_seconds: float | None = None,
) -> ActionAnswer:
    """One shipment of a confirmed or partially shipped order: ``lines`` (sku, quantity) or, None, everything not
    yet shipped. The process runs the shipment as a child workflow: it captures the shipment's share of the total
    (``domain.shipment_amount``), fulfils its units and records the shipment and tracking; the order becomes
    ``partially_shipped`` or ``shipped`` (or ``cancelled`` with ``capture_failed`` when the PSP refuses the
    first capture). ``OrderNotShippable`` (409 ``not_shippable``) unless ``domain.shipment_refusal`` allows it (a
    sku not on the order or more than remains of a line: nothing ships), ``InvalidInput`` for a blank carrier or
    tracking number. Used by the partner API (``ship`` and ``shipments``) and the admin.
    """
    carrier, tracking_number = (carrier or "").strip(), (tracking_number or "").strip()
    if not carrier or len(carrier) > 100:
        raise InvalidInput("A carrier (1 to 100 characters) is required.", field="carrier")
    if not tracking_number or len(tracking_number) > 100:
        raise InvalidInput("A tracking number (1 to 100 characters) is required.", field="tracking_number")
    order = Order.objects.get(number=number)
    requested = _shipment_units(lines)
    if refusal := domain.shipment_refusal(order.status, order.pending_action, order_remaining(order), requested):
        raise OrderNotShippable(f"Order {number} {refusal}.")
    ship_lines = None if requested is None else [ShipLine(sku, quantity) for sku, quantity in requested.items()]
    return _order_action(
        order,
        UPDATE_SHIP,
        ShipInput(carrier=carrier, tracking_number=tracking_number, actor=actor, lines=ship_lines),
        action=domain.PendingAction.SHIPMENT,
        wait_seconds=wait_seconds,
    )


def _shipment_units(lines: list[dict[str, Any]] | None) -> dict[str, int] | None:
    """Units per sku a shipment asks for (a sku named twice adds up); None: everything left."""
    if lines is None:
        return None
    if not lines:
        raise InvalidInput("Name at least one line, or leave lines out to ship everything left.", field="lines")
    units: dict[str, int] = {}
    for index, line in enumerate(lines):
        quantity = line.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= domain.MAX_QUANTITY:
            raise InvalidInput("Quantities are whole numbers from 1 to 999.", field=f"lines[{index}].quantity")
        sku = str(line.get("sku") or "")
        units[sku] = units.get(sku, 0) + quantity
    return units


def order_remaining(order: Order) -> dict[str, int]:
    """Units per sku of the order not yet shipped (its lines less its shipments)."""
    shipped: dict[str, int] = {}
    for shipment in order.shipments.all():
        for line in shipment.lines:
            shipped[line["sku"]] = shipped.get(line["sku"], 0) + int(line["quantity"])
    return {line.sku: line.quantity - shipped.get(line.sku, 0) for line in order.lines.all()}


def order_edit_prepare(*, order: Order, lines: list[dict[str, Any]], actor: str) -> EditInput:
    """Price an edit of the order's lines (no writes): the complete new lines, a line left out or at 0 removed. A
    kept line keeps its unit price and name; a new one takes today's price. Totals are recomputed with the one
    pricing function (``domain.compute_totals``). ``OrderNotEditable`` (409) when the order may not change now,
    when a line would fall below what has shipped, or when a partly shipped order's shipping (already captured
    with its first shipment) would change; ``InvalidInput``/``UnknownSku``/``InvalidQuantity`` for bad lines."""
    if refusal := domain.edit_refusal(order.status, order.pending_action):
        raise OrderNotEditable(f"Order {order.number} {refusal}.")
    for index, line in enumerate(lines):
        quantity = line.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise InvalidQuantity(field=f"lines[{index}].quantity")
    kept_lines = [line for line in lines if line.get("quantity")]
    if not kept_lines:
        raise InvalidInput("An order keeps at least one line; cancel it instead.", field="lines")
    priced, currency = _price_lines(kept_lines)
    if currency != order.currency:
        raise CurrencyMismatch(field="lines")
    current = {line.sku: line for line in order.lines.all()}
    priced = [
        PricedLine(sku=p.sku, name=current[p.sku].name, unit_price=current[p.sku].unit_price, quantity=p.quantity)
        if p.sku in current
        else p
        for p in priced
    ]
    shipped = {sku: current[sku].quantity - left for sku, left in order_remaining(order).items()}
    shipped = {sku: units for sku, units in shipped.items() if units}
    new_units = {p.sku: p.quantity for p in priced}
    for sku, units in shipped.items():
        if new_units.get(sku, 0) < units:
            raise OrderNotEditable(
                f"Order {order.number} has shipped {units} of {sku}; that line cannot go below it.",
                field="lines",
            )
    # The redeemed voucher's terms re-price the new lines (dropped when the new subtotal is under its minimum).
    voucher = voucher_terms_of_order(order_number=order.number, subtotal=domain.subtotal_of(priced, currency))
    totals = domain.compute_totals(priced, currency, pricing_rules(), priority=order.delivery_priority, voucher=voucher)
    if shipped and totals.shipping != order.shipping:
        raise OrderNotEditable(
            f"Order {order.number} has shipped with its shipping charged; this edit would change the shipping.",
            field="lines",
        )
    captured = sum((s.amount_captured for s in order.shipments.all()), Decimal(0))
    if shipped and totals.total < captured:
        # The last shipment captures what is left of the total, so captures can only add up to it while the new
        # total covers what the shipments already captured (a fixed voucher re-split over fewer lines could not).
        raise OrderNotEditable(
            f"Order {order.number} has captured {format_amount(captured, currency)} {currency} already; "
            "this edit would bring its total below that.",
            field="lines",
        )
    return EditInput(
        lines=_line_inputs(priced, totals, currency),
        totals={
            name: format_amount(getattr(totals, name), currency)
            for name in ("subtotal", "discount", "shipping", "tax", "total")
        },
        actor=actor,
        voucher_code=totals.voucher_code,
    )


def order_edit(
    *, number: str, lines: list[dict[str, Any]], actor: str, wait_seconds: float | None = None
) -> ActionAnswer:
    """Edit a confirmed or partially shipped order's lines (API.md "Order edits"): priced here
    (``order_edit_prepare``), then one all-or-nothing step of the order's process: reserve the extra units,
    authorize the difference when the total grows past what is authorized, release the freed units, record the
    new lines and totals (webhook ``order.updated``). Out of stock (409 ``insufficient_stock``) or declined (409
    ``payment_declined``): nothing changed."""
    order = Order.objects.get(number=number)
    edit = order_edit_prepare(order=order, lines=lines, actor=actor)
    try:
        return _order_action(order, UPDATE_EDIT, edit, action=domain.PendingAction.EDIT, wait_seconds=wait_seconds)
    except PaymentDeclined as declined:
        raise EditPaymentDeclined(declined.message, details=declined.details) from None


# A delivery event for an order that has already ended this way is a late repeat: accepted, nothing changes.
_DELIVERY_ENDED = {Status.DELIVERED: "", Status.CANCELLED: "delivery_failed"}


def order_record_delivery_event(
    *,
    number: str,
    event_id: str,
    status: str,
    occurred_at: datetime | str,
    actor: str,
    shipment: int = 0,
    wait_seconds: float | None = None,
) -> ActionAnswer:
    """Apply a carrier's delivery event through the workflow (docs/orders.md "Delivery events"), for one
    ``shipment`` (its id) or, 0, for the order's only one (``ShipmentRequired``, 409, with several; an unknown
    shipment: ``NotFound``). Deduplicated per shipment; never moving a shipment's status backwards.

    A repeated ``event_id`` and an event that would move ``delivery_status`` backwards change nothing (the
    latter is kept on the timeline). ``delivered`` completes the order; ``not_delivered`` refunds, restocks and
    cancels it (``delivery_failed``). ``accepted``/``assigned`` are allowed from ``confirmed``, the others only
    once shipped (``domain.delivery_event_refusal``): else ``DeliveryEventNotAllowed`` (409).
    """
    event_id = (event_id or "").strip()
    if not event_id or len(event_id) > 100:
        raise InvalidInput("event_id is required (1 to 100 characters).", field="event_id")
    if status not in domain.DELIVERY_EVENT_STATUSES:
        raise InvalidInput(f"status is one of {', '.join(domain.DELIVERY_EVENT_STATUSES)}.", field="status")
    occurred = _iso_field(occurred_at, "occurred_at")
    order = Order.objects.get(number=number)
    count = order.shipments.count()
    if shipment and not order.shipments.filter(seq=shipment).exists():
        raise NotFound(f"Order {number} has no shipment {shipment}.")
    if not shipment and count > 1:
        raise ShipmentRequired(f"Order {number} has {count} shipments: post the event to one of them.")
    ended = _DELIVERY_ENDED.get(Status(order.status))
    if ended is not None and (ended == "" or order.cancel_reason == ended):
        return ActionAnswer(order=order)  # the process has finished; late and repeated events are ignored
    if refusal := domain.delivery_event_refusal(order.status, status, order.pending_action):
        raise DeliveryEventNotAllowed(f"Order {number} {refusal}.")
    return _order_action(
        order,
        UPDATE_DELIVERY_EVENT,
        DeliveryEventInput(event_id=event_id, status=status, occurred_at=occurred, actor=actor, shipment=shipment),
        action=domain.PendingAction.REFUND if status == domain.DeliveryStatus.NOT_DELIVERED else "delivery_event",
        wait_seconds=wait_seconds,
        result_type=DeliveryEventResult,
    )


def _iso_field(value: datetime | str | None, field: str) -> str:
    try:
        return timestamp_parse(value).isoformat()
    except TimestampError as error:
        raise InvalidInput(str(error), field=field) from None


def _delivery_period_checked(
    delivery: dict[str, Any], *, stored: dict[str, datetime | None]
) -> dict[str, datetime | None]:
    """Both ends of a delivery period: each end the caller sent parsed and checked (a bounded timestamp, in the
    future, within a year), each end not sent taken from ``stored``; then the period as a whole (end after
    start). The one place these rules are applied, for a new order and for a change; InvalidInput names the
    field."""
    now = timezone.now()
    period: dict[str, datetime | None] = {}
    for name in ("period_start", "period_end"):
        value = delivery.get(name) if name in delivery else stored.get(name)
        if name not in delivery or value in (None, ""):
            period[name] = value or None
            continue
        try:
            parsed = timestamp_parse(value)
        except TimestampError as error:
            raise InvalidInput(str(error), field=f"delivery.{name}") from None
        problem = domain.delivery_time_problem(parsed, now=now)
        if problem:
            raise InvalidInput(problem, field=f"delivery.{name}")
        period[name] = parsed
    problem = domain.delivery_period_problem(period["period_start"], period["period_end"])
    if problem:
        raise InvalidInput(problem, field="delivery.period_end")
    return period


# Model fields order_change_delivery may set (ApplyInput.details), by API name.
ADDRESS_FIELDS = {
    "name": "ship_name",
    "line1": "ship_line1",
    "line2": "ship_line2",
    "city": "ship_city",
    "postal_code": "ship_postal_code",
    "country": "ship_country",
}
DELIVERY_FIELDS = {
    "priority": "delivery_priority",
    "period_start": "delivery_period_start",
    "period_end": "delivery_period_end",
}
CHANGEABLE_DELIVERY_FIELDS = frozenset({*ADDRESS_FIELDS.values(), *DELIVERY_FIELDS.values()})
REQUIRED_ADDRESS_FIELDS = ("name", "line1", "city", "postal_code", "country")


def _delivery_changes(
    order: Order, shipping_address: dict[str, Any] | None, delivery: dict[str, Any] | None
) -> dict[str, Any]:
    """Validate the new values against the order (400 naming the field) and return model field -> value."""
    changes: dict[str, Any] = {}
    if shipping_address is not None:
        for name in REQUIRED_ADDRESS_FIELDS:
            if not str(shipping_address.get(name) or "").strip():
                raise InvalidInput("This address field is required.", field=f"shipping_address.{name}")
        country = str(shipping_address["country"]).strip()
        if len(country) != 2 or not country.isascii() or not country.isalpha() or not country.isupper():
            raise InvalidInput("Use an ISO 3166-1 alpha-2 code, e.g. DE.", field="shipping_address.country")
        for name, model_field in ADDRESS_FIELDS.items():
            value = str(shipping_address.get(name) or "").strip()
            if len(value) > Order._meta.get_field(model_field).max_length:
                raise InvalidInput("Too long.", field=f"shipping_address.{name}")
            changes[model_field] = value
    if delivery is not None:
        unknown = set(delivery) - set(DELIVERY_FIELDS)
        if unknown:
            raise InvalidInput(f"Unknown delivery field {sorted(unknown)[0]}.", field=f"delivery.{sorted(unknown)[0]}")
        if "priority" in delivery:
            if delivery["priority"] not in Priority.__members__.values():
                raise InvalidInput("Priority is normal or urgent.", field="delivery.priority")
            changes["delivery_priority"] = str(delivery["priority"])
        stored = {name: getattr(order, DELIVERY_FIELDS[name]) for name in ("period_start", "period_end")}
        period = _delivery_period_checked(delivery, stored=stored)
        for name in ("period_start", "period_end"):
            if name in delivery:
                changes[DELIVERY_FIELDS[name]] = period[name].isoformat() if period[name] else None
    if not changes:
        raise InvalidInput("Send shipping_address and/or delivery.", field="shipping_address")
    return changes


def _field_value(order: Order, name: str) -> Any:
    value = getattr(order, name)
    return value.isoformat() if isinstance(value, datetime) else value


def order_change_delivery(
    *,
    number: str,
    shipping_address: dict[str, Any] | None = None,
    delivery: dict[str, Any] | None = None,
    actor: str,
    wait_seconds: float | None = None,
) -> ActionAnswer:
    """Change the shipping address (complete, replaces it) and/or delivery details (only the keys sent)
    until shipment. ``InvalidInput`` (400) for bad values, ``DeliveryNotChangeable`` (409) once shipped or
    ended (``domain.delivery_change_refusal``). Writes a ``delivery_changed`` timeline event listing each changed
    field (from, to). Order totals are not re-priced (the authorized amount stays)."""
    order = Order.objects.get(number=number)
    if refusal := domain.delivery_change_refusal(order.status, order.pending_action):
        raise DeliveryNotChangeable(f"Order {number} {refusal}.")
    changes = _delivery_changes(order, shipping_address, delivery)
    changed = {name: value for name, value in changes.items() if value != _field_value(order, name)}
    if not changed:
        return ActionAnswer(order=order)
    return _order_action(
        order,
        UPDATE_CHANGE_DELIVERY,
        ChangeDeliveryInput(
            changes=changed, previous={name: _field_value(order, name) for name in changed}, actor=actor
        ),
        action="delivery_change",
        wait_seconds=wait_seconds,
    )
