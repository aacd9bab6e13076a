"""A cart's voucher through the partner API: the cart's figures come from the one pricing function, the checkout
carries the voucher to the order, and the order charges exactly the figures the cart showed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from carts.models import Cart
from orders.models import Order
from tests.integration.orders.helpers import api_client, order_body, seed_sku, wait_for
from vouchers.models import Voucher
from vouchers.services import voucher_create

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def _checkout_body() -> dict:
    body = order_body("unused")
    del body["lines"]
    return body


def _error(response, status: int, code: str, text: str = "") -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    assert response.json()["code"] == code and text in response.json()["message"], response.json()


def test_apply_refuse_remove_and_check_out_a_cart_voucher(live_oms) -> None:
    seed_sku("CV-1", on_hand=20, price="12.50")
    voucher_create(code="TENOFF", kind="fixed", value=Decimal("10"), currency="EUR", min_subtotal=Decimal("30"))
    voucher_create(code="USEDUP", kind="percentage", value=Decimal("5"), usage_limit=1)
    Voucher.objects.filter(code="USEDUP").update(used_count=1)
    voucher_create(code="LATER", kind="percentage", value=Decimal("5"), starts_at=timezone.now() + timedelta(days=2))
    client = api_client("cart-voucher")
    cart_id = client.post("/api/v1/carts/", {}, content_type="application/json").json()["id"]
    url = f"/api/v1/carts/{cart_id}/"
    client.post(url + "items/", {"sku": "CV-1", "quantity": 2}, "application/json")

    _error(client.post(url + "voucher/", {"code": "tenoff"}, "application/json"), 400, "voucher_invalid", "30.00")
    _error(client.post(url + "voucher/", {"code": "nothing"}, "application/json"), 400, "voucher_invalid", "exist")
    _error(client.post(url + "voucher/", {"code": "later"}, "application/json"), 400, "voucher_invalid", "not valid")
    _error(client.post(url + "voucher/", {"code": "usedup"}, "application/json"), 409, "voucher_exhausted")
    _error(client.post(url + "voucher/", {"code": ""}, "application/json"), 400, "validation_error")
    _error(client.post(url + "voucher/", {"code": "X", "total": "0"}, "application/json"), 400, "validation_error")
    assert client.get(url).json()["voucher_code"] is None

    client.post(url + "items/", {"sku": "CV-1", "quantity": 1}, "application/json")  # 37.50: over the minimum
    applied = client.post(url + "voucher/", {"code": "TenOff"}, "application/json")
    assert applied.status_code == 200, applied.content
    body = applied.json()
    figures = {name: body[name] for name in ("subtotal", "discount", "shipping", "tax", "total")}
    assert figures == {"subtotal": "37.50", "discount": "10.00", "shipping": "4.90", "tax": "0.00", "total": "32.40"}
    assert body["voucher_code"] == "TENOFF" and body["voucher_problem"] is None

    # Under the minimum again: the cart keeps the code, gives no discount and says why.
    lowered = client.patch(url + "items/CV-1/", {"quantity": 1}, "application/json").json()
    assert (lowered["discount"], lowered["voucher_code"]) == ("0.00", "TENOFF")
    assert "at least 30.00 EUR" in lowered["voucher_problem"]
    removed = client.delete(url + "voucher/")
    assert removed.status_code == 200 and removed.json()["voucher_code"] is None
    client.patch(url + "items/CV-1/", {"quantity": 4}, "application/json")
    client.post(url + "voucher/", {"code": "tenoff"}, "application/json")
    quote = client.get(url).json()
    assert (quote["subtotal"], quote["discount"], quote["shipping"], quote["total"]) == (
        "50.00",
        "10.00",
        "4.90",
        "44.90",
    )

    response = client.post(url + "checkout/", _checkout_body(), "application/json", HTTP_IDEMPOTENCY_KEY="cv-1")
    assert response.status_code == 201, response.content
    order = response.json()
    assert {name: order[name] for name in ("subtotal", "discount", "shipping", "tax", "total")} == {
        name: quote[name] for name in ("subtotal", "discount", "shipping", "tax", "total")
    }
    assert order["voucher_code"] == "TENOFF"
    assert wait_for(order["number"]).status == "confirmed"
    assert Voucher.objects.get(code="TENOFF").used_count == 1
    assert Cart.objects.get(cart_id=cart_id).checkout_contents["voucher_code"] == "TENOFF"


def test_a_cart_voucher_that_expired_refuses_the_checkout_and_keeps_the_cart(live_oms) -> None:
    seed_sku("CV-2", on_hand=20, price="10.00")
    voucher_create(code="SHORT", kind="percentage", value=Decimal("10"))
    client = api_client("cart-voucher-expired")
    cart_id = client.post("/api/v1/carts/", {}, content_type="application/json").json()["id"]
    url = f"/api/v1/carts/{cart_id}/"
    client.post(url + "items/", {"sku": "CV-2", "quantity": 1}, "application/json")
    assert client.post(url + "voucher/", {"code": "short"}, "application/json").status_code == 200
    Voucher.objects.filter(code="SHORT").update(ends_at=timezone.now() - timedelta(minutes=1))

    refused = client.post(url + "checkout/", _checkout_body(), "application/json", HTTP_IDEMPOTENCY_KEY="cv-2")
    _error(refused, 400, "voucher_invalid", "expired")
    assert Cart.objects.get(cart_id=cart_id).status == Cart.Status.OPEN
    assert not Order.objects.filter(channel="cart", partner__name="cart-voucher-expired").exists()
    assert "expired" in client.get(url).json()["voucher_problem"]
