"""The served OpenAPI schema describes the cart endpoints with the API.md cart shape."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_schema_documents_the_cart_api() -> None:
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert set(paths["/api/v1/carts/"]) == {"post"}
    assert set(paths["/api/v1/carts/{cart_id}/"]) == {"get"}
    assert set(paths["/api/v1/carts/{cart_id}/items/"]) == {"post", "delete"}
    assert set(paths["/api/v1/carts/{cart_id}/items/{sku}/"]) == {"patch", "delete"}
    assert "409" in paths["/api/v1/carts/{cart_id}/items/"]["post"]["responses"]
    cart = schema["components"]["schemas"]["Cart"]
    assert set(cart["properties"]) == {
        "id",
        "lines",
        "item_count",
        "subtotal",
        "discount",
        "shipping",
        "tax",
        "total",
        "currency",
        "voucher_code",
        "voucher_problem",
        "expires_at",
    }
    assert set(paths["/api/v1/carts/{cart_id}/voucher/"]) == {"post", "delete"}
    line = schema["components"]["schemas"]["CartLine"]
    assert set(line["properties"]) == {"sku", "name", "quantity", "unit_price", "line_total"}


@pytest.mark.django_db
def test_fast_cart_json_equals_the_documented_serializer() -> None:
    from carts.api.serializers import CartSerializer, PricedCart, cart_json
    from carts.contracts import CartView, CartViewLine
    from carts.services import cart_quote

    view = CartView(
        cart_id="abc",
        status="open",
        currency="EUR",
        lines=[CartViewLine(sku="A", name="n", quantity=2, unit_price="1.50", line_total="3.00", available=4)],
        item_count=2,
        subtotal="3.00",
        expires_at="2030-01-01T00:00:00+00:00",
        voucher_code="GONE",
    )
    cart = PricedCart(view, cart_quote(view=view))
    assert cart.quote.voucher_problem  # an unknown code: no discount, and the cart says why
    assert cart_json(cart) == CartSerializer(cart).data
