"""Order API shapes: input validation (shape only; business rules live in services) and the ONE order body."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# The one error body's schema component (oms_project.api.error_body); one class, so one "Error" component.
from carts.api.serializers import ErrorSerializer  # noqa: F401
from oms_project.api import ChoiceField, RefusesServerOwnedFields, TimestampField, integer_with_documented_range
from oms_project.money import format_amount
from orders.domain import (
    DELIVERY_EVENT_STATUSES,
    MAX_QUANTITY,
    MIN_QUANTITY,
    DeliveryStatus,
    PaymentStatus,
    Priority,
    Status,
)

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
        "refunded_amount",
        "shipments",
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
SERVER_OWNED_LINE_FIELDS = frozenset(
    {"name", "unit_price", "price", "line_total", "discount", "tax", "total", "currency"}
)


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


class RefusesUnknownFields(serializers.Serializer):
    """A body that sends a field this serializer does not have is refused (400 naming it), not quietly dropped."""

    def to_internal_value(self, data: Any) -> Any:
        unknown = set(data) - set(self.fields) if isinstance(data, dict) else set()
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
        return super().to_internal_value(data)


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


PERIOD_HELP = "ISO 8601 with a UTC offset, in the future and within one year from now; the end after the start."


class DeliverySerializer(serializers.Serializer):
    """Shape only; the service decides the period rules (future, within a year, end after start)."""

    priority = ChoiceField(choices=[p.value for p in Priority], default=Priority.NORMAL.value)
    period_start = TimestampField(required=False, allow_null=True, default=None, help_text=PERIOD_HELP)
    period_end = TimestampField(required=False, allow_null=True, default=None, help_text=PERIOD_HELP)


class DeliveryChangeSerializer(RefusesUnknownFields):
    """A delivery change: only the keys sent change (a null period end clears it)."""

    priority = ChoiceField(choices=[p.value for p in Priority], required=False)
    period_start = TimestampField(required=False, allow_null=True, help_text=PERIOD_HELP)
    period_end = TimestampField(required=False, allow_null=True, help_text=PERIOD_HELP)


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
    voucher_code = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="A voucher code (case-insensitive). Refused with 400 voucher_invalid (the message says why) or "
        "409 voucher_exhausted; an order that loses the race for the last use ends failed voucher_exhausted.",
    )


class CancelInputSerializer(RefusesServerOwnedFields):
    server_owned_fields = SERVER_OWNED_ORDER_FIELDS
    reason = serializers.CharField(max_length=255)


class ShipInputSerializer(RefusesServerOwnedFields):
    server_owned_fields = SERVER_OWNED_ORDER_FIELDS
    carrier = serializers.CharField(max_length=100)
    tracking_number = serializers.CharField(max_length=100)


class ShipmentLineInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = integer_with_documented_range(
        minimum=MIN_QUANTITY, maximum=MAX_QUANTITY, help_text="Units of this sku in the shipment."
    )


class ShipmentCreateInputSerializer(ShipInputSerializer):
    lines = ShipmentLineInputSerializer(
        many=True,
        required=False,
        help_text="What this shipment ships (units per sku). Left out: everything not yet shipped.",
    )


class OrderEditLineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = integer_with_documented_range(
        minimum=0, maximum=MAX_QUANTITY, help_text="The line's new quantity; 0 (or leaving the line out) removes it."
    )


class OrderEditInputSerializer(RefusesServerOwnedFields):
    server_owned_fields = SERVER_OWNED_ORDER_FIELDS
    lines = OrderEditLineSerializer(
        many=True, help_text="The order's complete new lines: a kept line keeps its price, a new one takes today's."
    )


class DeliveryEventInputSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=100, help_text="The carrier's event id; a repeat is ignored.")
    status = ChoiceField(choices=list(DELIVERY_EVENT_STATUSES))
    occurred_at = TimestampField()


class DeliveryPatchSerializer(RefusesUnknownFields):
    """Shape only (types); the service checks the period rules. The address is complete (it replaces the old)."""

    shipping_address = AddressSerializer(required=False)
    delivery = DeliveryChangeSerializer(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
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
    discount = MoneyField(help_text="This line's share of the order discount (pro rata to line_total, to the cent).")
    tax = MoneyField(help_text="This line's share of the order tax (pro rata to what is left of each line).")
    total = MoneyField(
        help_text="line_total - discount + tax; the lines' totals plus the order's shipping equal its total."
    )


class ShipmentLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField()


class ShipmentSerializer(serializers.Serializer):
    """A shipment (API.md "Shipments"): listed on its order once its capture is made."""

    id = serializers.IntegerField(source="seq", help_text="The shipment's number within its order (1, 2, ...).")
    lines = ShipmentLineSerializer(many=True)
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    delivery_status = ChoiceField(choices=[s.value for s in DeliveryStatus])
    amount_captured = MoneyField(help_text="Its units' share of their lines' total, plus shipping on the first.")
    amount_refunded = MoneyField(help_text="Refunded when it was not delivered; amount_captured stays.")
    created_at = serializers.DateTimeField()


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
    payment_status = ChoiceField(choices=[s.value for s in PaymentStatus])
    delivery_status = serializers.CharField()
    failure_reason = serializers.CharField()
    cancel_reason = serializers.CharField()
    lines = OrderLineSerializer(many=True)
    subtotal = MoneyField()
    discount = MoneyField()
    tax = MoneyField()
    shipping = MoneyField()
    total = MoneyField()
    # Every refund of the order added up (undelivered shipments and returns; API.md "Returns and refunds").
    refunded_amount = MoneyField()
    currency = serializers.CharField()
    voucher_code = serializers.CharField(allow_null=True, help_text="The voucher that gave the discount, or null.")
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
    # API.md "Long-running actions": the action still running (cancel, shipment, compensation, refund), else null.
    pending_action = serializers.SerializerMethodField()
    # API.md "Shipments": every shipment whose capture is made (an order being shipped answers pending_action).
    shipments = ShipmentSerializer(many=True)
    # API.md "Returns and refunds": the order's return ids, oldest first.
    returns = serializers.SerializerMethodField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["voucher_code"] = data["voucher_code"] or None
        return data

    def get_pending_action(self, order: Any) -> str | None:
        return order.pending_action or None

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_returns(self, order: Any) -> list[str]:
        return list(order.returns.order_by("created_at", "id").values_list("id", flat=True))

    def get_sla_breached(self, order: Any) -> bool:
        return bool(order.sla_breached_status)
