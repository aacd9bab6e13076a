"""Order services: place (price + start the workflow), record and apply (the workflow's writes), cancel, ship,
delivery events and delivery changes (each through a validated workflow update)."""

from __future__ import annotations

import logging
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
from oms_project import observability, temporal
from oms_project.errors import InvalidInput, InvalidTransition
from oms_project.money import format_amount
from orders import domain
from orders.contracts import (
    ApplyInput,
    CancelInput,
    ChangeDeliveryInput,
    DeliveryEventInput,
    LineInput,
    PaymentInput,
    PlaceOrderInput,
    ShipInput,
    order_workflow_id,
)
from orders.domain import Channel, PricedLine, PricingRules, Priority, Status
from orders.errors import (
    CurrencyMismatch,
    DeliveryEventNotAllowed,
    DeliveryNotChangeable,
    InvalidQuantity,
    OrderNotCancellable,
    OrderNotShippable,
    TooManyLines,
    UnknownSku,
)
from orders.models import Order, OrderEvent, OrderLine
from orders.numbers import cart_order_key, order_number_for, order_number_for_cart
from partners.models import Partner

log = logging.getLogger(__name__)


def pricing_rules() -> PricingRules:
    threshold = settings.ORDER_FREE_SHIPPING_THRESHOLD
    return PricingRules(
        tax_rate=Decimal(settings.ORDER_TAX_RATE),
        shipping_fee=Decimal(settings.ORDER_SHIPPING_FEE),
        urgent_shipping_fee=Decimal(settings.ORDER_URGENT_SHIPPING_FEE),
        free_shipping_threshold=Decimal(threshold) if threshold else None,
    )


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


def _iso(value: datetime | str | None) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            raise InvalidInput("Use an ISO 8601 timestamp.", field="delivery")
        value = parsed
    if timezone.is_naive(value):
        raise InvalidInput("Timestamps need a UTC offset.", field="delivery")
    return value.isoformat()


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
    idempotency_key: str,
    actor: str,
) -> Order:
    """Price the order and start its workflow, which records it (no dual write). Returns the recorded order.

    The same ``idempotency_key`` always gives the same order: its number derives from the key and the
    workflow id from the number, so a repeat attaches to the running workflow or finds the recorded row.
    """
    existing = order_get(number=order_number_for(idempotency_key))
    if existing is not None:
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
        idempotency_key=idempotency_key,
        actor=actor,
    )
    order_start(inp=inp)
    order = order_get(number=inp.number)
    if order is None:  # the update returns only after the record activity committed
        raise InvalidTransition("The order was not recorded.")
    return order


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
    idempotency_key: str,
    actor: str,
) -> PlaceOrderInput:
    """Validate and price an order into the workflow's input (no writes)."""
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
    period_start, period_end = _iso(delivery.get("period_start")), _iso(delivery.get("period_end"))
    if period_start and period_end and parse_datetime(period_end) <= parse_datetime(period_start):
        raise InvalidInput("The delivery period must end after it starts.", field="delivery.period_end")
    method = payment.get("method")
    token = payment.get("token") if method == "card" else payment.get("reference")
    if method not in ("card", "external") or not token:
        raise InvalidInput("Payment is {method: card, token} or {method: external, reference}.", field="payment")
    totals = domain.compute_totals(priced, currency, pricing_rules(), priority=priority)
    return PlaceOrderInput(
        number=order_number_for(idempotency_key),
        channel=channel,
        partner_id=partner.pk if partner else None,
        customer_id=customer.pk if customer else None,
        external_ref=external_ref or "",
        currency=currency,
        lines=[
            LineInput(
                sku=line.sku,
                name=line.name,
                unit_price=format_amount(line.unit_price, currency),
                quantity=line.quantity,
                line_total=format_amount(line.line_total(currency), currency),
            )
            for line in priced
        ],
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
        idempotency_key=cart_order_key(contents.cart_id),
        actor=request.actor,
    )


def order_start(*, inp: PlaceOrderInput) -> None:
    """Start ``order-<number>`` (or attach to it) and wait until its first activity has recorded the order."""
    from orders.workflows import OrderWorkflow

    workflow_id = order_workflow_id(inp.number)
    with observability.bind(order_number=inp.number, workflow_id=workflow_id):
        log.info(
            "starting order workflow (%s, %s lines, total %s %s)", inp.channel, len(inp.lines), inp.total, inp.currency
        )
        temporal.update_with_start(
            OrderWorkflow.recorded,
            inp.number,
            workflow=OrderWorkflow.run,
            workflow_arg=inp,
            workflow_id=workflow_id,
            task_queue=settings.ORDER_TASK_QUEUE,
        )


def order_get(*, number: str) -> Order | None:
    return Order.objects.filter(number=number).first()


def order_record(*, inp: PlaceOrderInput) -> None:
    """The workflow's first activity: write the order, its lines and the ``created`` event, exactly once, and
    record the partner's ``order.created`` webhook event in the same transaction (outbox, see
    ``_publish_webhook_events``)."""
    if (recorded := Order.objects.filter(number=inp.number).first()) is not None:
        _publish_webhook_events(order=recorded, event_types=[ORDER_CREATED_EVENT])
        return
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
                )
                for position, line in enumerate(inp.lines, start=1)
            )
            OrderEvent.objects.create(
                order=order,
                type="created",
                at=now,
                actor=inp.actor,
                data={"total": inp.total, "currency": inp.currency, "channel": inp.channel},
                idempotency_key=f"{order_workflow_id(inp.number)}:created",
            )
            _publish_webhook_events(order=order, event_types=[ORDER_CREATED_EVENT])
    except IntegrityError:
        if not Order.objects.filter(number=inp.number).exists():
            raise  # not the concurrent-duplicate case: let the activity retry
        return
    log.info("order recorded")


ORDER_CREATED_EVENT = "order.created"


def _publish_webhook_events(*, order: Order, event_types: list[str]) -> None:
    """Record the partner's webhook events for this order write inside the caller's transaction, so an event
    exists exactly when its transition does (an outbox; delivery workflows start after the commit). The body is
    the API order as this transaction sees it, rendered from ``order`` (the row just written, not read again).
    Repeating it is harmless (one event per order and type) and restarts deliveries still pending. Orders
    without a partner publish nothing."""
    if order.partner_id is None or not event_types:
        return
    from orders.api.serializers import order_bodies
    from webhooks.contracts import order_event_dedupe_key
    from webhooks.services import webhook_event_publish

    [data] = order_bodies([order])
    for event_type in event_types:
        webhook_event_publish(
            partner_id=order.partner_id,
            event_type=event_type,
            data=data,
            dedupe_key=order_event_dedupe_key(order.number, event_type),
        )


def order_apply(*, inp: ApplyInput) -> None:
    """Apply one workflow step to the read model: status fields and timeline events, at most once.

    The first event's idempotency key guards the whole write, so a replayed activity changes nothing.
    Status changes go through the transition table, so the read model can never move backwards.
    """
    if not inp.events:
        raise ValueError("order_apply needs at least one event (its key makes the write idempotent)")
    at = parse_datetime(inp.at) or timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().get(number=inp.number)
        if OrderEvent.objects.filter(idempotency_key=f"{inp.idempotency_key}:0").exists():
            # Applied before; publishing again only (re)starts deliveries that may not have started then.
            _publish_webhook_events(order=order, event_types=inp.publish)
            return
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
        for name in ("delivery_status", "failure_reason", "cancel_reason", "delivery_reference"):
            value = getattr(inp, name)
            if value is not None and value != getattr(order, name):
                setattr(order, name, value)
                changed.append(name)
        order.updated_at = timezone.now()
        order.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
        OrderEvent.objects.bulk_create(
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
        _publish_webhook_events(order=order, event_types=inp.publish)
    log.info("order updated: %s", ", ".join(f"{name}={getattr(order, name)}" for name in changed) or "events only")


def order_cancel(*, number: str, reason: str, actor: str) -> Order:
    """Cancel through the workflow's validated update; returns the order once compensations have run."""
    from orders.workflows import OrderWorkflow

    order = Order.objects.get(number=number)
    if not domain.is_cancellable(order.status):
        raise OrderNotCancellable(f"Order {number} is {order.status} and can no longer be cancelled.")
    # Raises OrderNotCancellable when the workflow's validator refuses (it knows the live state).
    temporal.execute_update(order_workflow_id(number), OrderWorkflow.cancel, CancelInput(reason=reason, actor=actor))
    order.refresh_from_db()
    return order


def order_ship(*, number: str, carrier: str, tracking_number: str, actor: str) -> Order:
    """Ship a confirmed order: the workflow captures the payment, fulfils the stock and records the tracking.

    Returns the order once it is ``shipped`` (or ``cancelled`` with ``capture_failed`` when the PSP refuses the
    capture). Raises ``OrderNotShippable`` (409 ``not_shippable``) unless the order is confirmed and idle,
    ``InvalidInput`` for a blank carrier or tracking number. Used by the partner API and the admin.
    """
    from orders.workflows import OrderWorkflow

    carrier, tracking_number = (carrier or "").strip(), (tracking_number or "").strip()
    if not carrier or len(carrier) > 100:
        raise InvalidInput("A carrier (1 to 100 characters) is required.", field="carrier")
    if not tracking_number or len(tracking_number) > 100:
        raise InvalidInput("A tracking number (1 to 100 characters) is required.", field="tracking_number")
    order = Order.objects.get(number=number)
    if order.status != Status.CONFIRMED:
        raise OrderNotShippable(f"Order {number} is {order.status}; only confirmed orders ship.")
    temporal.execute_update(
        order_workflow_id(number),
        OrderWorkflow.ship,
        ShipInput(carrier=carrier, tracking_number=tracking_number, actor=actor),
    )
    order.refresh_from_db()
    return order


# A delivery event for an order that has already ended this way is a late repeat: accepted, nothing changes.
_DELIVERY_ENDED = {Status.DELIVERED: "", Status.CANCELLED: "delivery_failed"}


def order_record_delivery_event(
    *, number: str, event_id: str, status: str, occurred_at: datetime | str, actor: str
) -> Order:
    """Apply a carrier's delivery event through the workflow (docs/orders.md "Delivery events").

    A repeated ``event_id`` and an event that would move ``delivery_status`` backwards change nothing (the
    latter is kept on the timeline). ``delivered`` completes the order; ``not_delivered`` refunds, restocks and
    cancels it (``delivery_failed``); both return once that is done. ``accepted``/``assigned`` are allowed from
    ``confirmed``, the others only once shipped: else ``DeliveryEventNotAllowed`` (409).
    """
    from orders.workflows import OrderWorkflow

    event_id = (event_id or "").strip()
    if not event_id or len(event_id) > 100:
        raise InvalidInput("event_id is required (1 to 100 characters).", field="event_id")
    if status not in domain.DELIVERY_EVENT_STATUSES:
        raise InvalidInput(f"status is one of {', '.join(domain.DELIVERY_EVENT_STATUSES)}.", field="status")
    occurred = _iso_field(occurred_at, "occurred_at")
    order = Order.objects.get(number=number)
    ended = _DELIVERY_ENDED.get(Status(order.status))
    if ended is not None and (ended == "" or order.cancel_reason == ended):
        return order  # the workflow has finished; late and repeated events are ignored
    if order.status not in (Status.CONFIRMED, Status.SHIPPED) or not domain.delivery_event_allowed(
        order.status, status
    ):
        raise DeliveryEventNotAllowed(f"Order {number} is {order.status}; a {status} event is not allowed now.")
    temporal.execute_update(
        order_workflow_id(number),
        OrderWorkflow.delivery_event,
        DeliveryEventInput(event_id=event_id, status=status, occurred_at=occurred, actor=actor),
    )
    order.refresh_from_db()
    return order


def _iso_field(value: datetime | str | None, field: str) -> str:
    parsed = parse_datetime(value) if isinstance(value, str) else value
    if parsed is None or timezone.is_naive(parsed):
        raise InvalidInput("Use an ISO 8601 timestamp with a UTC offset.", field=field)
    return parsed.isoformat()


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
        now = timezone.now()
        period = {}
        for name in ("period_start", "period_end"):
            if name not in delivery:
                period[name] = getattr(order, DELIVERY_FIELDS[name])
                continue
            value = delivery[name]
            parsed = None if value in (None, "") else (parse_datetime(value) if isinstance(value, str) else value)
            if value not in (None, "") and (parsed is None or timezone.is_naive(parsed)):
                raise InvalidInput("Use an ISO 8601 timestamp with a UTC offset.", field=f"delivery.{name}")
            if parsed is not None and parsed <= now:
                raise InvalidInput("The delivery period must be in the future.", field=f"delivery.{name}")
            period[name] = parsed
            changes[DELIVERY_FIELDS[name]] = parsed.isoformat() if parsed else None
        start, end = period["period_start"], period["period_end"]
        if start and end and end <= start:
            raise InvalidInput("The delivery period must end after it starts.", field="delivery.period_end")
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
) -> Order:
    """Change the shipping address (complete, replaces it) and/or delivery details (only the keys sent)
    until shipment. ``InvalidInput`` (400) for bad values, ``DeliveryNotChangeable`` (409) once shipped or
    ended. Writes a ``delivery_changed`` timeline event listing each changed field (from, to). Order totals are
    not re-priced (the authorized amount stays)."""
    from orders.workflows import OrderWorkflow

    order = Order.objects.get(number=number)
    if not domain.is_delivery_changeable(order.status):
        raise DeliveryNotChangeable(f"Order {number} is {order.status}; its delivery details can no longer change.")
    changes = _delivery_changes(order, shipping_address, delivery)
    changed = {name: value for name, value in changes.items() if value != _field_value(order, name)}
    if not changed:
        return order
    temporal.execute_update(
        order_workflow_id(number),
        OrderWorkflow.change_delivery,
        ChangeDeliveryInput(
            changes=changed, previous={name: _field_value(order, name) for name in changed}, actor=actor
        ),
    )
    order.refresh_from_db()
    return order
