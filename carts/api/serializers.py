"""One cart shape for every cart endpoint (API.md "Carts"), plus the inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from carts.contracts import CartView
from carts.domain import MAX_QUANTITY, MAX_VOUCHER_CODE_LENGTH
from oms_project.api import RefusesServerOwnedFields, integer_with_documented_range
from oms_project.money import format_amount
from orders.pricing import Quote

# What the cart computes from the catalog; a body that sends one is refused.
SERVER_OWNED_CART_FIELDS = frozenset(
    {
        "name",
        "price",
        "unit_price",
        "line_total",
        "subtotal",
        "discount",
        "shipping",
        "tax",
        "total",
        "item_count",
        "currency",
        "expires_at",
    }
)


class CartLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.CharField(help_text='Decimal string in the cart\'s currency, e.g. "12.50".')
    line_total = serializers.CharField(help_text="unit_price x quantity, decimal string.")


@dataclass(frozen=True)
class PricedCart:
    """A cart with its quote: what every cart endpoint answers."""

    view: CartView
    quote: Quote

    def figure(self, name: str) -> str:
        return format_amount(getattr(self.quote.totals, name), self.view.currency)


class CartSerializer(serializers.Serializer):
    id = serializers.CharField(source="view.cart_id", help_text="Opaque cart id.")
    lines = CartLineSerializer(source="view.lines", many=True)
    item_count = serializers.IntegerField(source="view.item_count", help_text="Total units over all lines.")
    subtotal = serializers.SerializerMethodField(help_text="Decimal string.")
    discount = serializers.SerializerMethodField(help_text="The voucher's discount on the subtotal, decimal string.")
    shipping = serializers.SerializerMethodField(help_text="Shipping for a normal-priority delivery, decimal string.")
    tax = serializers.SerializerMethodField(help_text="Tax on goods after discount plus shipping, decimal string.")
    total = serializers.SerializerMethodField(
        help_text="subtotal - discount + shipping + tax: what the order will charge for a normal delivery."
    )
    currency = serializers.CharField(source="view.currency", help_text="ISO 4217.")
    voucher_code = serializers.SerializerMethodField(help_text="The voucher applied to the cart, or null.")
    voucher_problem = serializers.SerializerMethodField(
        help_text="Why the cart's voucher gives no discount now (expired, under its minimum, used up), or null."
    )
    expires_at = serializers.SerializerMethodField(
        help_text="When the idle cart expires (each change pushes it back); ISO 8601 with offset."
    )

    @extend_schema_field(OpenApiTypes.STR)
    def get_subtotal(self, cart: PricedCart) -> str:
        return cart.figure("subtotal")

    @extend_schema_field(OpenApiTypes.STR)
    def get_discount(self, cart: PricedCart) -> str:
        return cart.figure("discount")

    @extend_schema_field(OpenApiTypes.STR)
    def get_shipping(self, cart: PricedCart) -> str:
        return cart.figure("shipping")

    @extend_schema_field(OpenApiTypes.STR)
    def get_tax(self, cart: PricedCart) -> str:
        return cart.figure("tax")

    @extend_schema_field(OpenApiTypes.STR)
    def get_total(self, cart: PricedCart) -> str:
        return cart.figure("total")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_voucher_code(self, cart: PricedCart) -> str | None:
        return cart.view.voucher_code or None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_voucher_problem(self, cart: PricedCart) -> str | None:
        return cart.quote.voucher_problem or None

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_expires_at(self, cart: PricedCart) -> str | None:
        return cart.view.expires_at or None  # already ISO 8601 with offset from the workflow


def cart_json(cart: PricedCart) -> dict[str, Any]:
    """The cart shape of ``CartSerializer`` built directly: DRF field-by-field output costs milliseconds per
    50-line cart on every mutation. ``CartSerializer`` stays the schema; a test keeps the two equal. The figures
    are ``quote``'s (``carts.services.cart_quote``: the one pricing function)."""
    view, quote = cart.view, cart.quote
    totals, currency = quote.totals, view.currency
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
        "subtotal": format_amount(totals.subtotal, currency),
        "discount": format_amount(totals.discount, currency),
        "shipping": format_amount(totals.shipping, currency),
        "tax": format_amount(totals.tax, currency),
        "total": format_amount(totals.total, currency),
        "currency": currency,
        "voucher_code": view.voucher_code or None,
        "voucher_problem": quote.voucher_problem or None,
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


class CartVoucherSerializer(RefusesServerOwnedFields):
    """A voucher code for the cart (case-insensitive); it replaces any code applied before."""

    server_owned_fields = SERVER_OWNED_CART_FIELDS
    code = serializers.CharField(max_length=MAX_VOUCHER_CODE_LENGTH)


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True)
    errors = serializers.DictField()
