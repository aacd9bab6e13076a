"""Unrestricted resource consumption (OWASP API4) and hostile bodies: every one ends in a 4xx with the API's
error body, never a 500, and nothing is stored. Throttling answers 429 with Retry-After, for real."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from orders.models import Order
from tests.integration.orders.helpers import order_body, post_order
from tests.security.conftest import SKU, PartnerOwner

pytestmark = [pytest.mark.integration, pytest.mark.security]


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code and body["message"] and set(body) >= {"code", "message", "field", "errors"}, body
    if field is not None:
        assert body["field"] == field, body
    return body


def raw_post(client: Client, path: str, raw: str, key: str = "raw", content_type: str = "application/json") -> Any:
    return client.post(path, raw, content_type=content_type, HTTP_IDEMPOTENCY_KEY=key)


def test_a_body_over_the_upload_limit_is_413(acme: PartnerOwner) -> None:
    cart_id = acme.open_cart()
    client = acme.client()
    oversized = json.dumps(order_body(SKU) | {"external_ref": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    for path in ("/api/v1/orders/", f"/api/v1/carts/{cart_id}/checkout/", f"/api/v1/carts/{cart_id}/items/"):
        body = assert_error(raw_post(client, path, oversized), 413, "payload_too_large")
        assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in body["message"]
    assert not Order.objects.exists()


# Out of range: the domain rule's own code. Not an integer at all: the serializer's validation_error.
OUT_OF_RANGE = [10**12, 10**100, -1, 0, 1000]
NOT_AN_INTEGER = [1.5, 1e308, "abc", "", True, None, [1], {"n": 1}]


@pytest.mark.parametrize("quantity", OUT_OF_RANGE + NOT_AN_INTEGER, ids=repr)
def test_bad_quantities_are_400_naming_the_field(quantity: Any, acme: PartnerOwner) -> None:
    code = "invalid_quantity" if quantity in OUT_OF_RANGE and not isinstance(quantity, bool) else "validation_error"
    cart_id = acme.open_cart()
    client = acme.client()
    added = client.post(
        f"/api/v1/carts/{cart_id}/items/", {"sku": SKU, "quantity": quantity}, content_type="application/json"
    )
    assert_error(added, 400, code, "quantity")
    ordered = post_order(client, order_body(SKU, quantity=quantity), key=f"q-{quantity!r}"[:200])
    body = assert_error(ordered, 400, code)
    assert body["field"] in ("lines[0].quantity", "lines.0.quantity")
    assert not Order.objects.exists()
    assert client.get(f"/api/v1/carts/{cart_id}/").json()["item_count"] == 1


def test_too_many_lines_is_400(acme: PartnerOwner) -> None:
    body = order_body(SKU)
    body["lines"] = [{"sku": f"S{i}", "quantity": 1} for i in range(101)]
    assert_error(post_order(acme.client(), body, key="lines"), 400, "too_many_lines", "lines")
    body["lines"] = [{"sku": SKU, "quantity": 1}] * 10_000  # also large, still under the byte limit
    assert_error(post_order(acme.client(), body, key="lines-2"), 400, "too_many_lines", "lines")
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        ("[" * 100_000 + "]" * 100_000, "application/json", 400, "validation_error"),  # was a RecursionError: 500
        ('{"a":' * 17 + "1" + "}" * 17, "application/json", 400, "validation_error"),
        ("[1, 2]", "application/json", 400, "validation_error"),
        ('"an order"', "application/json", 400, "validation_error"),
        ("null", "application/json", 400, "validation_error"),
        ('{"lines": ', "application/json", 400, "validation_error"),
        ('{"lines": [{"sku": "SEC-1", "quantity": NaN}]}', "application/json", 400, "validation_error"),
        ('{"lines": [{"sku": "SEC-1", "quantity": ' + "9" * 5000 + "}]}", "application/json", 400, "validation_error"),
        ("lines=1", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        ("<order/>", "application/xml", 415, "unsupported_media_type"),
    ],
    ids=["deep-array", "17-levels", "list", "string", "null", "truncated", "nan", "huge-int", "form", "xml"],
)
def test_malformed_bodies_are_refused(raw: str, content_type: str, status: int, code: str, acme: PartnerOwner) -> None:
    assert_error(raw_post(acme.client(), "/api/v1/orders/", raw, content_type=content_type), status, code)
    assert not Order.objects.exists()


def test_wrong_types_in_nested_fields_name_the_field(acme: PartnerOwner) -> None:
    for field, value in [("customer", "ada"), ("shipping_address", []), ("payment", 7), ("lines", {"sku": SKU})]:
        response = post_order(acme.client(), order_body(SKU) | {field: value}, key=f"type-{field}")
        assert assert_error(response, 400, "validation_error")["field"].startswith(field)
    assert not Order.objects.exists()


def test_nul_characters_never_reach_the_database(acme: PartnerOwner) -> None:
    client = acme.client()
    for path in ("/api/v1/orders/%00/", "/api/v1/carts/%00/", f"/api/v1/carts/x/items/{SKU}%00/"):
        assert_error(client.get(path), 400, "validation_error")
    assert_error(post_order(client, order_body("SEC\x00"), key="nul"), 400, "validation_error")
    response = post_order(client, order_body(SKU), key="a\x00b")
    assert_error(response, 400, "idempotency_key_missing", "Idempotency-Key")
    assert not Order.objects.exists()


def test_an_unrouted_api_path_is_the_json_404(acme: PartnerOwner) -> None:
    assert_error(acme.client().get("/api/v1/webhooks/not-a-number/"), 404, "not_found")
    assert_error(acme.client().get("/api/v2/orders/"), 404, "not_found")


def rate_limit(rate: str) -> Any:
    return override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_key": rate}})


def test_throttling_answers_429_with_retry_after_per_key(acme: PartnerOwner) -> None:
    busy, other = acme.client(), Client(HTTP_AUTHORIZATION=f"Api-Key {acme.key(('orders',))}")
    with rate_limit("5/min"):
        assert [busy.get("/api/v1/products/").status_code for _ in range(5)] == [200] * 5
        throttled = busy.get("/api/v1/products/")
        body = assert_error(throttled, 429, "throttled")
        assert 1 <= int(throttled["Retry-After"]) <= 60 and "seconds" in body["message"]
        # Writes count against the same budget, and are refused before doing anything.
        assert_error(post_order(busy, order_body(SKU), key="throttled"), 429, "throttled")
        assert not Order.objects.exists()
        # The limit is per key: another key of the same partner is not affected.
        assert other.get("/api/v1/products/").status_code == 200
