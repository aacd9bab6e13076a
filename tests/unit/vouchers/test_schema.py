"""The served OpenAPI schema shows the new fields and routes (API.md "Totals and vouchers")."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_schema_documents_vouchers_and_line_shares() -> None:
    schema = Client().get("/api/schema/?format=json").json()
    components, paths = schema["components"]["schemas"], schema["paths"]
    assert {"discount", "tax", "total"} <= set(components["OrderLine"]["properties"])
    assert "voucher_code" in components["Order"]["properties"]
    assert "voucher_code" in components["OrderCreateRequest"]["properties"]
    assert {"discount", "shipping", "tax", "total", "voucher_code", "voucher_problem"} <= set(
        components["Cart"]["properties"]
    )
    voucher = paths["/api/v1/carts/{cart_id}/voucher/"]
    assert set(voucher) == {"post", "delete"}
    assert {"200", "400", "409"} <= set(voucher["post"]["responses"])
    assert "voucher_invalid" in voucher["post"]["responses"]["400"]["description"]
