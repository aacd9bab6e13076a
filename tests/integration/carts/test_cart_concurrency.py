"""Many concurrent updates to one cart all apply exactly once (the workflow lock, no lost update)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

pytestmark = pytest.mark.integration


def test_fifty_concurrent_adds_give_the_exact_total(api, skus) -> None:  # type: ignore[no-untyped-def]
    cart_id = api.new_cart()
    url = f"/api/v1/carts/{cart_id}/items/"

    def add(i: int) -> int:
        try:
            return api.post(url, {"sku": "TEE-S" if i % 2 else "MUG-XL", "quantity": 1}).status_code
        finally:
            connection.close()

    from tests.integration.carts.seed import seed_variant

    seed_variant("MUG-XL", on_hand=100)
    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(add, range(50)))
    assert statuses == [200] * 50
    body = api.get(f"/api/v1/carts/{cart_id}/").json()
    assert {line["sku"]: line["quantity"] for line in body["lines"]} == {"TEE-S": 25, "MUG-XL": 25}
    assert body["item_count"] == 50


def test_concurrent_adds_never_exceed_the_stock(api, skus) -> None:  # type: ignore[no-untyped-def]
    """MUG has 5 units: of 12 concurrent single adds exactly 5 succeed, the rest are 409."""
    cart_id = api.new_cart()

    def add(_: int) -> int:
        try:
            return api.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "MUG", "quantity": 1}).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = sorted(pool.map(add, range(12)))
    assert statuses == [200] * 5 + [409] * 7
    assert api.get(f"/api/v1/carts/{cart_id}/").json()["item_count"] == 5
