"""One cart shape for every cart endpoint (API.md "Carts"), plus the inputs."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from carts.contracts import CartView
from carts.domain import MAX_QUANTITY
from oms_project.api import RefusesServerOwnedFields, integer_with_documented_range

# What the cart computes from the catalog; a body that sends one is refused.
SERVER_OWNED_CART_FIELDS = frozenset(
    {"name", "price", "unit_price", "line_total", "subtotal", "item_count", "currency", "expires_at"}
)


class CartLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.CharField(help_text='Decimal string in the cart\'s currency, e.g. "12.50".')
    line_total = serializers.CharField(help_text="unit_price x quantity, decimal string.")


class CartSerializer(serializers.Serializer):
    id = serializers.CharField(source="cart_id", help_text="Opaque cart id.")
    lines = CartLineSerializer(many=True)
    item_count = serializers.IntegerField(help_text="Total units over all lines.")
    subtotal = serializers.CharField(help_text="Decimal string.")
    currency = serializers.CharField(help_text="ISO 4217.")
    expires_at = serializers.DateTimeField(help_text="When the idle cart expires (each change pushes it back).")

    def to_representation(self, instance):  # type: ignore[no-untyped-def]
        data = super().to_representation(instance)
        data["expires_at"] = instance.expires_at or None  # already ISO 8601 with offset from the workflow
        return data


def cart_json(view: CartView) -> dict[str, Any]:
    """The cart shape of ``CartSerializer`` built directly: DRF field-by-field output costs milliseconds per
    50-line cart on every mutation. ``CartSerializer`` stays the schema; a test keeps the two equal."""
    return {
        "id": view.cart_id,
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "line_total": line.line_total,
            }
            for line in view.lines
        ],
        "item_count": view.item_count,
        "subtotal": view.subtotal,
        "currency": view.currency,
        "expires_at": view.expires_at or None,
    }


class CartItemAddSerializer(RefusesServerOwnedFields):
    """Units of one SKU to add to the cart. A SKU already in the cart gets the units added to its line; the price
    is always the catalog's (a body that sends a price, name or total is refused with 400)."""

    server_owned_fields = SERVER_OWNED_CART_FIELDS
    # Ranges are checked by the cart's domain rules, so the error code is the specific one (invalid_quantity).
    sku = serializers.CharField(max_length=200)
    quantity = integer_with_documented_range(minimum=1, maximum=MAX_QUANTITY, help_text=f"1 to {MAX_QUANTITY}.")


class CartItemSetSerializer(RefusesServerOwnedFields):
    """The new quantity of a line already in the cart; 0 removes the line."""

    server_owned_fields = SERVER_OWNED_CART_FIELDS

    quantity = integer_with_documented_range(
        minimum=0, maximum=MAX_QUANTITY, help_text=f"0 to {MAX_QUANTITY}; 0 removes the line."
    )


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True)
    errors = serializers.DictField()
