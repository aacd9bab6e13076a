"""The order body of the API and of webhook events, rendered from the read model (no DRF: the domain and the
webhooks render it without importing the API layer).

``orders.api.serializers.OrderSerializer`` documents the same shape; ``tests/unit/orders/test_order_bodies.py``
holds the two equal byte for byte.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from oms_project.money import format_amount
from oms_project.timestamps import timestamp_formatter
from orders.domain import MAY_HAVE_RETURNS, MAY_HAVE_SHIPMENTS
from orders.models import Order, OrderEvent, OrderLine, Shipment
from orders.selectors import order_get_for_partner
from returns.models import Return


def _when(value: datetime | None) -> str | None:
    """What DRF's ``DateTimeField`` renders (ISO 8601 in the current time zone, UTC as ``Z``), for one value; a
    list of bodies makes one ``timestamp_formatter`` for all of its timestamps."""
    return timestamp_formatter()(value)


api_time = _when  # public: the returns' bodies render their times the same way


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def order_body(number: str) -> dict[str, Any]:
    """The body of one order by number (any partner's: callers decide who may see it); NotFound if none."""
    return order_bodies([order_get_for_partner(number=number, partner=None)])[0]


def order_bodies(orders: Sequence[Order]) -> list[dict[str, Any]]:
    """``OrderSerializer(order).data`` for each order, key for key and byte for byte once rendered (a test
    compares them), at about a fifth of the CPU: the lines and events come as plain rows (two queries for any
    number of orders, no model instances), and no serializer fields are copied and bound per order. Lists,
    details and webhook bodies use it; ``orders.api.serializers.OrderSerializer`` stays the documented shape
    (OpenAPI) and the reference.
    """
    ids = [order.pk for order in orders]
    lines: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in (
        OrderLine.objects.filter(order_id__in=ids)
        .order_by("order_id", "position")
        .values_list("order_id", "sku", "name", "quantity", "unit_price", "line_total", "discount", "tax", "total")
    ):
        lines[row[0]].append(row)
    events: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    event_rows = OrderEvent.objects.filter(order_id__in=ids).order_by("id")
    for row in event_rows.values_list("order_id", "type", "at", "actor", "data"):
        events[row[0]].append(row)
    # Only orders that can have shipments or returns (``domain.MAY_HAVE_SHIPMENTS``, ``MAY_HAVE_RETURNS``: derived
    # from the transition table) are looked up: a page of new or confirmed orders, the 201 of a new order and the
    # webhook body of its record skip both queries (issue #19).
    shipped = [order.pk for order in orders if order.status in MAY_HAVE_SHIPMENTS]
    delivered = [order.pk for order in orders if order.status in MAY_HAVE_RETURNS]
    returns: dict[int, list[str]] = defaultdict(list)
    when = timestamp_formatter()
    shipments: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if delivered:
        for order_id, return_id in (
            Return.objects.filter(order_id__in=delivered).order_by("created_at", "id").values_list("order_id", "id")
        ):
            returns[order_id].append(return_id)
    if shipped:
        for shipment in Shipment.objects.filter(order_id__in=shipped).order_by("order_id", "seq"):
            shipments[shipment.order_id].append(
                shipment_body(shipment, currency=shipment_currency(orders, shipment), when=when)
            )
    return [
        _order_body(order, lines[order.pk], events[order.pk], shipments[order.pk], returns[order.pk], when)
        for order in orders
    ]


def shipment_currency(orders: Sequence[Order], shipment: Shipment) -> str:
    return next(order.currency for order in orders if order.pk == shipment.order_id)


def shipment_body(
    shipment: Shipment, *, currency: str, when: Callable[[datetime | None], str | None] = _when
) -> dict[str, Any]:
    """One shipment as the API shows it (API.md "Shipments"): ``id`` is its number within the order."""
    return {
        "id": shipment.seq,
        "lines": [{"sku": _text(line["sku"]), "quantity": int(line["quantity"])} for line in shipment.lines],
        "carrier": _text(shipment.carrier),
        "tracking_number": _text(shipment.tracking_number),
        "delivery_status": _text(shipment.delivery_status),
        "amount_captured": format_amount(shipment.amount_captured, currency),
        "amount_refunded": format_amount(shipment.amount_refunded, currency),
        "created_at": when(shipment.created_at),
    }


def _order_body(
    order: Order,
    lines: list[tuple[Any, ...]],
    events: list[tuple[Any, ...]],
    shipments: list[dict[str, Any]],
    returns: list[str],
    when: Callable[[datetime | None], str | None],
) -> dict[str, Any]:
    currency = order.currency
    return {
        "number": _text(order.number),
        "status": _text(order.status),
        "payment_status": _text(order.payment_status),
        "delivery_status": _text(order.delivery_status),
        "failure_reason": _text(order.failure_reason),
        "cancel_reason": _text(order.cancel_reason),
        "lines": [
            {
                "sku": _text(sku),
                "name": _text(name),
                "quantity": int(quantity),
                "unit_price": format_amount(unit_price, currency),
                "line_total": format_amount(line_total, currency),
                "discount": format_amount(discount, currency),
                "tax": format_amount(tax, currency),
                "total": format_amount(total, currency),
            }
            for _, sku, name, quantity, unit_price, line_total, discount, tax, total in lines
        ],
        "subtotal": format_amount(order.subtotal, currency),
        "discount": format_amount(order.discount, currency),
        "tax": format_amount(order.tax, currency),
        "shipping": format_amount(order.shipping, currency),
        "total": format_amount(order.total, currency),
        "refunded_amount": format_amount(order.refunded_amount, currency),
        "currency": _text(currency),
        "voucher_code": order.voucher_code or None,
        "customer": {
            "email": _text(order.contact_email),
            "name": _text(order.contact_name),
            "phone": _text(order.contact_phone),
        },
        "shipping_address": {
            "name": _text(order.ship_name),
            "line1": _text(order.ship_line1),
            "line2": _text(order.ship_line2),
            "city": _text(order.ship_city),
            "postal_code": _text(order.ship_postal_code),
            "country": _text(order.ship_country),
        },
        "delivery": {
            "priority": _text(order.delivery_priority),
            "period_start": when(order.delivery_period_start),
            "period_end": when(order.delivery_period_end),
        },
        "tracking": {"carrier": _text(order.tracking_carrier), "tracking_number": _text(order.tracking_number)},
        "external_ref": _text(order.external_ref),
        "created_at": when(order.created_at),
        "updated_at": when(order.updated_at),
        "events": [
            {"type": _text(type_), "at": when(at), "actor": _text(actor), "data": data}
            for _, type_, at, actor, data in events
        ],
        "sla_breached": bool(order.sla_breached_status),
        "sla_breached_at": when(order.sla_breached_at),
        "pending_action": _text(order.pending_action) or None,
        "shipments": shipments,
        "returns": returns,
    }
