"""The partner cart API against the real dev server and workers (API.md "Carts")."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_add_merge_set_remove_reset(api, skus) -> None:  # type: ignore[no-untyped-def]
    cart_id = api.new_cart()
    url = f"/api/v1/carts/{cart_id}/"
    body = api.get(url).json()
    assert body["lines"] == [] and body["item_count"] == 0 and body["subtotal"] == "0.00"
    assert body["currency"] == "EUR" and "T" in body["expires_at"]

    r = api.post(url + "items/", {"sku": "TEE-S", "quantity": 2})
    assert r.status_code == 200, r.content
    r = api.post(url + "items/", {"sku": "TEE-S", "quantity": 3, "unit_price": "0.01"})  # server-owned: ignored
    assert r.json()["lines"] == [
        {
            "sku": "TEE-S",
            "name": "Product TEE-S - Variant TEE-S",
            "quantity": 5,
            "unit_price": "12.50",
            "line_total": "62.50",
        }
    ]
    api.post(url + "items/", {"sku": "MUG", "quantity": 1})
    r = api.patch(url + "items/MUG/", {"quantity": 4})
    body = r.json()
    assert r.status_code == 200 and body["item_count"] == 9 and body["subtotal"] == "94.46"
    r = api.patch(url + "items/MUG/", {"quantity": 0})
    assert [line["sku"] for line in r.json()["lines"]] == ["TEE-S"]
    api.post(url + "items/", {"sku": "MUG", "quantity": 1})
    r = api.delete(url + "items/TEE-S/")
    assert [line["sku"] for line in r.json()["lines"]] == ["MUG"]
    r = api.delete(url + "items/")
    assert r.status_code == 200 and r.json()["lines"] == [] and r.json()["item_count"] == 0
    assert api.get(url).json()["lines"] == []
