"""Cart checkout hands a cart to exactly one order (API.md "Carts": checkout)."""

from __future__ import annotations

import pytest

from carts.models import Cart
from catalog.models import StockLevel
from oms_project.errors import InvalidInput
from orders import services
from orders.models import Order
from partners.models import Partner
from tests.integration.orders.helpers import api_client, order_body, seed_sku, wait_for

# The worker threads keep writing (saga steps) while the test's request writes too. The in-memory, shared-cache
# SQLite test database answers that with SQLITE_LOCKED at once (no busy wait), so these run on PostgreSQL only;
# the embedded SQLite file (WAL + busy timeout) handles it (bench/order_bench.py runs on it).
pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def checkout_body(token: str = "pm_card_ok") -> dict:
    body = order_body("unused", token=token)
    del body["lines"]
    return body


def test_checkout_creates_one_order_and_closes_the_cart_once(live_oms) -> None:
    seed_sku("CUP-1", on_hand=5, price="7.25")
    client, other = api_client("shop"), api_client("other")
    cart_id = client.post("/api/v1/carts/", {}, content_type="application/json").json()["id"]
    added = client.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "CUP-1", "quantity": 3}, "application/json")
    assert added.status_code == 200, added.content
    url = f"/api/v1/carts/{cart_id}/checkout/"

    assert other.post(url, checkout_body(), "application/json", HTTP_IDEMPOTENCY_KEY="c1").status_code == 404
    refused = client.post(url, {**checkout_body(), "total": "0.01"}, "application/json", HTTP_IDEMPOTENCY_KEY="c0")
    assert refused.status_code == 400 and "total" in refused.json()["errors"]

    response = client.post(url, checkout_body(), "application/json", HTTP_IDEMPOTENCY_KEY="c1")
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["lines"] == [
        {
            "sku": "CUP-1",
            "name": "Product CUP-1 - Standard",
            "quantity": 3,
            "unit_price": "7.25",
            "line_total": "21.75",
            "discount": "0.00",
            "tax": "0.00",
            "total": "21.75",
        }
    ]
    assert response["Location"] == f"/api/v1/orders/{order['number']}/"
    assert wait_for(order["number"]).status == "confirmed"
    assert StockLevel.objects.get(variant__sku="CUP-1").allocated == 3

    replay = client.post(url, checkout_body(), "application/json", HTTP_IDEMPOTENCY_KEY="c1")
    assert replay.status_code == 201 and replay.json() == order
    again = client.post(url, checkout_body(), "application/json", HTTP_IDEMPOTENCY_KEY="c2")
    assert again.status_code == 409 and again.json()["code"] == "cart_checked_out"
    assert Order.objects.filter(partner__name="shop").count() == 1
    assert client.get(f"/api/v1/carts/{cart_id}/").status_code in (404, 409)


def test_checkout_of_an_empty_cart_is_refused(live_oms) -> None:
    client = api_client("shop")
    cart_id = client.post("/api/v1/carts/", {}, content_type="application/json").json()["id"]
    response = client.post(
        f"/api/v1/carts/{cart_id}/checkout/", checkout_body(), "application/json", HTTP_IDEMPOTENCY_KEY="e1"
    )
    assert response.status_code == 409 and response.json()["code"] == "cart_empty"
    assert not Order.objects.exists()


def test_an_order_refused_at_checkout_leaves_the_cart_open(live_oms) -> None:  # type: ignore[no-untyped-def]
    # The order is priced and checked inside the cart's checkout, before the cart closes (ADR 0047): a refusal
    # can no longer leave a closed cart without an order (the known gap before).
    seed_sku("CUP-2", on_hand=5)
    client = api_client("shop")
    cart_id = client.post("/api/v1/carts/", {}, content_type="application/json").json()["id"]
    client.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "CUP-2", "quantity": 1}, "application/json")
    body = checkout_body()
    arguments = {
        "cart_id": cart_id,
        "partner": Partner.objects.get(name="shop"),
        "contact": body["customer"],
        "shipping_address": body["shipping_address"],
        "delivery": None,
        "idempotency_key": "svc-1",
        "actor": "partner:shop",
    }
    with pytest.raises(InvalidInput) as refused:
        services.order_place_from_cart(**arguments, payment={"method": "card", "token": ""})
    assert refused.value.field == "payment"
    assert Cart.objects.get(cart_id=cart_id).status == "open" and not Order.objects.exists()
    order = services.order_place_from_cart(**arguments, payment=body["payment"])
    assert wait_for(order.number).status == "confirmed" and Cart.objects.get(cart_id=cart_id).status == "checked_out"
