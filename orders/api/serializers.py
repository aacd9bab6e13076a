"""Order API shapes: input validation (shape only; business rules live in services) and the ONE order body."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# The one error body's schema component (oms_project.api.error_body); one class, so one "Error" component.
from carts.api.serializers import ErrorSerializer  # noqa: F401
from oms_project.api import ChoiceField, RefusesServerOwnedFields, integer_with_documented_range
from oms_project.money import format_amount
from orders.domain import DELIVERY_EVENT_STATUSES, MAX_QUANTITY, MIN_QUANTITY, Priority, Status
from orders.models import Order, OrderEvent, OrderLine

# Fields the server computes; a request that tries to set one is refused with 400 naming the field.
SERVER_OWNED_ORDER_FIELDS = frozenset(
    {
        "number",
        "status",
        "payment_status",
        "delivery_status",
        "failure_reason",
        "cancel_reason",
        "subtotal",
        "discount",
        "tax",
        "shipping",
        "total",
        "currency",
        "tracking",
        "events",
        "created_at",
        "updated_at",
        "partner",
        "channel",
        "sla_breached",
        "sla_breached_at",
        # Line prices sent at the top level are no more the client's to set than inside a line.
        "price",
        "unit_price",
        "line_total",
    }
)
SERVER_OWNED_LINE_FIELDS = frozenset({"name", "unit_price", "price", "line_total", "currency"})


def reject_server_owned(data: Any, *, line_key: str = "lines", also: frozenset[str] = frozenset()) -> None:
    """400 for a body that tries to set prices, totals or status (which field is said)."""
    if not isinstance(data, dict):
        return
    errors: dict[str, Any] = {}
    for name in sorted((SERVER_OWNED_ORDER_FIELDS | also) & data.keys()):
        errors[name] = ["This value is set by the server and cannot be sent."]
    lines = data.get(line_key)
    if isinstance(lines, list):
        for index, line in enumerate(lines):
            if isinstance(line, dict):
                for name in sorted(SERVER_OWNED_LINE_FIELDS & line.keys()):
                    errors[f"{line_key}[{index}].{name}"] = ["Prices are set by the server and cannot be sent."]
    if errors:
        raise serializers.ValidationError(errors)


class LineInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = integer_with_documented_range(
        minimum=MIN_QUANTITY, maximum=MAX_QUANTITY, help_text=f"{MIN_QUANTITY} to {MAX_QUANTITY}"
    )


class CustomerSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class AddressSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20)
    country = serializers.RegexField(
        r"^[A-Z]{2}$",
        help_text="ISO 3166-1 alpha-2, e.g. DE",
        error_messages={"invalid": "Use a two-letter ISO 3166-1 country code in capitals, e.g. DE."},
    )


class DeliverySerializer(serializers.Serializer):
    priority = ChoiceField(choices=[p.value for p in Priority], default=Priority.NORMAL.value)
    period_start = serializers.DateTimeField(required=False, allow_null=True, default=None)
    period_end = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("period_start"), attrs.get("period_end")
        if start and end and end <= start:
            raise serializers.ValidationError({"period_end": ["Must be after period_start."]})
        return attrs


class PaymentSerializer(serializers.Serializer):
    method = ChoiceField(choices=["card", "external"])
    token = serializers.CharField(max_length=100, required=False, help_text="Card token (method card).")
    reference = serializers.CharField(
        max_length=100, required=False, help_text="Payment collected by the partner (method external)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        needed = "token" if attrs["method"] == "card" else "reference"
        if not attrs.get(needed):
            raise serializers.ValidationError({needed: [f"Required for method {attrs['method']}."]})
        return attrs


class CheckoutInputSerializer(serializers.Serializer):
    customer = CustomerSerializer()
    shipping_address = AddressSerializer()
    delivery = DeliverySerializer(required=False)
    payment = PaymentSerializer()

    def to_internal_value(self, data: Any) -> Any:
        # A checkout's lines are the cart's: a body that sends its own is refused, not quietly dropped.
        reject_server_owned(data, also=frozenset() if "lines" in self.fields else frozenset({"lines"}))
        return super().to_internal_value(data)


class OrderCreateSerializer(CheckoutInputSerializer):
    lines = LineInputSerializer(many=True, allow_empty=False)
    external_ref = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class CancelInputSerializer(RefusesServerOwnedFields):
    server_owned_fields = SERVER_OWNED_ORDER_FIELDS
    reason = serializers.CharField(max_length=255)


class ShipInputSerializer(RefusesServerOwnedFields):
    server_owned_fields = SERVER_OWNED_ORDER_FIELDS
    carrier = serializers.CharField(max_length=100)
    tracking_number = serializers.CharField(max_length=100)


class DeliveryEventInputSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=100, help_text="The carrier's event id; a repeat is ignored.")
    status = ChoiceField(choices=list(DELIVERY_EVENT_STATUSES))
    occurred_at = serializers.DateTimeField()


class DeliveryPatchSerializer(serializers.Serializer):
    """Shape only (types); the service checks required fields, the future period and start < end."""

    shipping_address = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=200), required=False
    )
    delivery = serializers.DictField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = set(self.initial_data) - set(self.fields) if isinstance(self.initial_data, dict) else set()
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
        if not attrs:
            raise serializers.ValidationError({"shipping_address": ["Send shipping_address and/or delivery."]})
        return attrs


class OrderFilterSerializer(serializers.Serializer):
    status = ChoiceField(choices=[s.value for s in Status], required=False)
    created_after = serializers.DateTimeField(required=False)
    updated_after = serializers.DateTimeField(required=False)
    external_ref = serializers.CharField(max_length=100, required=False)


# --- output --------------------------------------------------------------------------------------------------
@extend_schema_field(OpenApiTypes.STR)
class MoneyField(serializers.Field):
    """A decimal string with exactly the minor digits of the owning object's currency."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        currency = instance.currency if hasattr(instance, "currency") else instance.order.currency
        return (super().get_attribute(instance), currency)

    def to_representation(self, value: Any) -> str:
        amount, currency = value
        return format_amount(amount, currency)


class OrderLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = MoneyField()
    line_total = MoneyField()


class OrderEventSerializer(serializers.Serializer):
    type = serializers.CharField()
    at = serializers.DateTimeField()
    actor = serializers.CharField()
    data = serializers.JSONField()


class OrderCustomerSerializer(serializers.Serializer):
    email = serializers.EmailField(source="contact_email")
    name = serializers.CharField(source="contact_name")
    phone = serializers.CharField(source="contact_phone")


class OrderAddressSerializer(serializers.Serializer):
    name = serializers.CharField(source="ship_name")
    line1 = serializers.CharField(source="ship_line1")
    line2 = serializers.CharField(source="ship_line2")
    city = serializers.CharField(source="ship_city")
    postal_code = serializers.CharField(source="ship_postal_code")
    country = serializers.CharField(source="ship_country")


class OrderDeliverySerializer(serializers.Serializer):
    priority = serializers.CharField(source="delivery_priority")
    period_start = serializers.DateTimeField(source="delivery_period_start", allow_null=True)
    period_end = serializers.DateTimeField(source="delivery_period_end", allow_null=True)


class OrderTrackingSerializer(serializers.Serializer):
    carrier = serializers.CharField(source="tracking_carrier")
    tracking_number = serializers.CharField()


class OrderSerializer(serializers.Serializer):
    """The one order body of every response (create, list, detail, cancel, checkout, webhooks)."""

    number = serializers.CharField()
    status = ChoiceField(choices=[s.value for s in Status])
    payment_status = serializers.CharField()
    delivery_status = serializers.CharField()
    failure_reason = serializers.CharField()
    cancel_reason = serializers.CharField()
    lines = OrderLineSerializer(many=True)
    subtotal = MoneyField()
    discount = MoneyField()
    tax = MoneyField()
    shipping = MoneyField()
    total = MoneyField()
    currency = serializers.CharField()
    customer = OrderCustomerSerializer(source="*")
    shipping_address = OrderAddressSerializer(source="*")
    delivery = OrderDeliverySerializer(source="*")
    tracking = OrderTrackingSerializer(source="*")
    external_ref = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    events = OrderEventSerializer(many=True)
    # Additions to API.md's order: the SLA flag (docs/orders.md "Deadlines and SLA").
    sla_breached = serializers.SerializerMethodField()
    sla_breached_at = serializers.DateTimeField(allow_null=True)

    def get_sla_breached(self, order: Any) -> bool:
        return bool(order.sla_breached_status)


# --- the same body, built by hand for lists and webhooks ---------------------------------------------------------
# DRF's field objects, used unbound: their to_representation is exactly what OrderSerializer applies.
_DATETIME = serializers.DateTimeField()


def _when(value: datetime | None) -> str | None:
    return _DATETIME.to_representation(value) if value is not None else None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def order_bodies(orders: Sequence[Order]) -> list[dict[str, Any]]:
    """``OrderSerializer(order).data`` for each order, key for key and byte for byte once rendered (a test
    compares them), at about a fifth of the CPU: the lines and events come as plain rows (two queries for any
    number of orders, no model instances), and no serializer fields are copied and bound per order. Lists,
    details and webhook bodies use it; OrderSerializer stays the documented shape (OpenAPI) and the reference.
    """
    ids = [order.pk for order in orders]
    lines: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in (
        OrderLine.objects.filter(order_id__in=ids)
        .order_by("order_id", "position")
        .values_list("order_id", "sku", "name", "quantity", "unit_price", "line_total")
    ):
        lines[row[0]].append(row)
    events: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    event_rows = OrderEvent.objects.filter(order_id__in=ids).order_by("id")
    for row in event_rows.values_list("order_id", "type", "at", "actor", "data"):
        events[row[0]].append(row)
    return [_order_body(order, lines[order.pk], events[order.pk]) for order in orders]


def _order_body(order: Order, lines: list[tuple[Any, ...]], events: list[tuple[Any, ...]]) -> dict[str, Any]:
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
            }
            for _, sku, name, quantity, unit_price, line_total in lines
        ],
        "subtotal": format_amount(order.subtotal, currency),
        "discount": format_amount(order.discount, currency),
        "tax": format_amount(order.tax, currency),
        "shipping": format_amount(order.shipping, currency),
        "total": format_amount(order.total, currency),
        "currency": _text(currency),
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
            "period_start": _when(order.delivery_period_start),
            "period_end": _when(order.delivery_period_end),
        },
        "tracking": {"carrier": _text(order.tracking_carrier), "tracking_number": _text(order.tracking_number)},
        "external_ref": _text(order.external_ref),
        "created_at": _when(order.created_at),
        "updated_at": _when(order.updated_at),
        "events": [
            {"type": _text(type_), "at": _when(at), "actor": _text(actor), "data": data}
            for _, type_, at, actor, data in events
        ],
        "sla_breached": bool(order.sla_breached_status),
        "sla_breached_at": _when(order.sla_breached_at),
    }
