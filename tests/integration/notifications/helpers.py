"""Orders with e-mails owed, written through the order services the workflow uses (no order workflow needed)."""

from __future__ import annotations

from typing import Any

from notifications.models import Email
from orders import services as order_services
from orders.contracts import ApplyInput, EventInput
from orders.models import Order, OrderEvent
from tests.integration.orders.helpers import order_body, seed_sku


def recorded_order(key: str, **owner: Any) -> Order:
    seed_sku(f"SKU-{key}", 5, price="20.00")
    body = order_body(f"SKU-{key}", quantity=2)
    inp = order_services.order_prepare(
        channel="web",
        lines=body["lines"],
        contact=body["customer"],
        shipping_address=body["shipping_address"],
        delivery=None,
        payment=body["payment"],
        idempotency_key=key,
        actor="test",
        **owner,
    )
    order_services.order_record(inp=inp)
    return Order.objects.get(number=inp.number)


def apply(order: Order, key: str, *events: EventInput, **changes: Any) -> None:
    order_services.order_apply(
        inp=ApplyInput(
            number=order.number,
            idempotency_key=f"{order.number}:{key}",
            actor="system",
            at="",
            events=list(events),
            **changes,
        )
    )


def confirmed_order(key: str) -> Order:
    """A recorded, confirmed order: its ``confirmed`` e-mail is recorded and (after the commit) started."""
    order = recorded_order(key)
    apply(order, "w1", EventInput("confirmed", {}), status="confirmed", payment_status="authorized")
    return order


def pending_email(key: str) -> Email:
    """An e-mail row as the outbox records it, without its workflow (the test starts it, or a resume does)."""
    order = recorded_order(key)
    event = OrderEvent.objects.create(
        order=order, type="confirmed", at=order.created_at, actor="t", idempotency_key=key
    )
    return Email.objects.create(order=order, event=event, kind="confirmed", to=order.contact_email)
