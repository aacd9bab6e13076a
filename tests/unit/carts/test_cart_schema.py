"""The served OpenAPI schema describes the cart endpoints with the API.md cart shape."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_schema_documents_the_cart_api() -> None:
    response = Client().get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert set(paths["/api/v1/carts/"]) == {"post"}
    assert set(paths["/api/v1/carts/{cart_id}/"]) == {"get"}
    assert set(paths["/api/v1/carts/{cart_id}/items/"]) == {"post", "delete"}
    assert set(paths["/api/v1/carts/{cart_id}/items/{sku}/"]) == {"patch", "delete"}
    assert "409" in paths["/api/v1/carts/{cart_id}/items/"]["post"]["responses"]
    cart = schema["components"]["schemas"]["Cart"]
    assert set(cart["properties"]) == {"id", "lines", "item_count", "subtotal", "currency", "expires_at"}
    line = schema["components"]["schemas"]["CartLine"]
    assert set(line["properties"]) == {"sku", "name", "quantity", "unit_price", "line_total"}
