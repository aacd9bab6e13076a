"""Object property level authorization (OWASP API3): a body that tries to set a value the server owns is refused.

The rule is the same on every write of the partner API: 400 ``validation_error`` naming each such field, and
nothing is stored. The order that is stored carries the catalog's prices, whatever the client believed them to be.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from carts.models import Cart
from orders.models import Order
from tests.integration.orders.helpers import order_body, post_order
from tests.security.conftest import SKU, SKU_PRICE, PartnerOwner
from webhooks.models import WebhookEndpoint

pytestmark = [pytest.mark.integration, pytest.mark.security]

FORGED_ORDER_FIELDS = {
    "status": "shipped",
    "payment_status": "captured",
    "total": "0.01",
    "subtotal": "0.01",
    "discount": "999.00",
    "currency": "JPY",
    "number": "O-MINE",
    "partner": "Globex",
    "channel": "web",
    "events": [],
}
FORGED_LINE_FIELDS = {"unit_price": "0.01", "price": "0.01", "line_total": "0.01", "name": "Free", "currency": "JPY"}


def assert_refused(response: Any, field: str) -> None:
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["code"] == "validation_error" and field in body["errors"], body


@pytest.mark.parametrize(("field", "value"), FORGED_ORDER_FIELDS.items())
def test_order_create_refuses_server_owned_order_fields(field: str, value: Any, acme: PartnerOwner) -> None:
    response = post_order(acme.client(), order_body(SKU) | {field: value}, key=f"forge-{field}")
    assert_refused(response, field)
    assert not Order.objects.exists()


@pytest.mark.parametrize(("field", "value"), FORGED_LINE_FIELDS.items())
def test_order_create_refuses_line_prices(field: str, value: Any, acme: PartnerOwner) -> None:
    body = order_body(SKU)
    body["lines"][0][field] = value
    assert_refused(post_order(acme.client(), body, key=f"forge-line-{field}"), f"lines[0].{field}")
    assert not Order.objects.exists()


def test_the_stored_order_uses_catalog_prices(acme: PartnerOwner) -> None:
    response = post_order(acme.client(), order_body(SKU, quantity=3), key="honest")
    assert response.status_code == 201, response.content
    order = Order.objects.get(number=response.json()["number"])
    (line,) = order.lines.all()
    assert line.unit_price == Decimal(SKU_PRICE) and line.quantity == 3
    assert order.subtotal == Decimal(SKU_PRICE) * 3 and order.currency == "EUR"
    assert order.partner.name == "Acme" and order.status in {"created", "confirmed"}


CHECKOUT_FORGERIES = {**FORGED_ORDER_FIELDS, "unit_price": "0.01", "lines": [{"sku": SKU, "quantity": 999}]}


@pytest.mark.parametrize(("field", "value"), CHECKOUT_FORGERIES.items())
def test_checkout_refuses_server_owned_fields(field: str, value: Any, acme: PartnerOwner) -> None:
    cart_id = acme.open_cart()
    body = {k: v for k, v in order_body(SKU).items() if k != "lines"} | {field: value}
    response = acme.client().post(
        f"/api/v1/carts/{cart_id}/checkout/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="forge"
    )
    assert_refused(response, field)
    assert not Order.objects.exists() and Cart.objects.get(cart_id=cart_id).status == Cart.Status.OPEN


@pytest.mark.parametrize(("field", "value"), FORGED_LINE_FIELDS.items())
def test_cart_items_refuse_prices(field: str, value: Any, acme: PartnerOwner) -> None:
    cart_id = acme.open_cart()
    client = acme.client()
    url = f"/api/v1/carts/{cart_id}/items/"
    assert_refused(client.post(url, {"sku": SKU, "quantity": 1, field: value}, content_type="application/json"), field)
    assert_refused(client.patch(f"{url}{SKU}/", {"quantity": 5, field: value}, content_type="application/json"), field)
    (line,) = client.get(f"/api/v1/carts/{cart_id}/").json()["lines"]
    assert line["quantity"] == 1 and line["unit_price"] == SKU_PRICE


@pytest.mark.parametrize("field", ["status", "total", "tracking"])
def test_cancel_and_ship_refuse_server_owned_fields(field: str, acme: PartnerOwner) -> None:
    number = acme.place_order()
    client = acme.client()
    cancel = {"reason": "x", field: "delivered"}
    ship = {"carrier": "DHL", "tracking_number": "1", field: "delivered"}
    assert_refused(client.post(f"/api/v1/orders/{number}/cancel/", cancel, content_type="application/json"), field)
    assert_refused(client.post(f"/api/v1/orders/{number}/ship/", ship, content_type="application/json"), field)
    assert Order.objects.get(number=number).status == "confirmed"


def test_delivery_change_refuses_anything_but_address_and_delivery(acme: PartnerOwner) -> None:
    number = acme.place_order()
    response = acme.client().patch(
        f"/api/v1/orders/{number}/delivery/", {"status": "delivered"}, content_type="application/json"
    )
    assert_refused(response, "status")


@pytest.mark.parametrize("field", ["secret", "partner", "is_active", "id"])
def test_webhook_registration_refuses_server_owned_fields(field: str, acme: PartnerOwner) -> None:
    body = {"url": "http://127.0.0.1:9/h", "events": ["order.created"], field: "mine"}
    response = acme.client().post("/api/v1/webhooks/", body, content_type="application/json")
    assert_refused(response, field)
    assert not WebhookEndpoint.objects.exists()


def test_responses_never_show_a_stored_secret(acme: PartnerOwner) -> None:
    """Excessive data exposure: the signing secret is shown once (201), never listed; key hashes never leave."""
    acme.register_webhook()
    listed = acme.client().get("/api/v1/webhooks/").content.decode()
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret not in listed and "secret" not in listed
    key_hash = acme.partner.api_keys.first().key_hash
    for path in ("/api/v1/webhooks/", "/api/v1/orders/", f"/api/v1/webhooks/{endpoint.pk}/deliveries/"):
        assert key_hash not in acme.client().get(path).content.decode()
