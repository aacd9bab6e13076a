"""Every path under /api/ answers the API's JSON error body, also for routes that do not exist and methods a
route does not take, with DEBUG on (the embedded run) as with it off."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from partners.services import api_key_create

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug(request: pytest.FixtureRequest, settings: Any) -> bool:
    settings.DEBUG = request.param
    return request.param


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/v1/webhooks/abc/xyz", "/api/v2/orders/", "/api/"])
def test_an_unknown_api_path_is_a_json_404(debug: bool, method: str, path: str) -> None:
    response = getattr(Client(), method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "message": "No such resource.", "field": None, "errors": {}}


def test_a_missing_trailing_slash_is_named(debug: bool) -> None:
    response = Client().post("/api/v1/orders", {"x": 1}, content_type="application/json")
    assert response.status_code == 404
    assert response.json()["message"] == "No such resource. Did you mean /api/v1/orders/ (with the trailing slash)?"


def test_a_method_the_route_does_not_take_is_a_json_405(debug: bool) -> None:
    key = api_key_create(partner_name="Shop A", scopes=["orders"]).raw_key
    response = Client(HTTP_AUTHORIZATION=f"Api-Key {key}").delete("/api/v1/products/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed" and "DELETE" in response.json()["message"]
    assert "GET" in response["Allow"]


def test_pages_outside_the_api_keep_the_html_404(debug: bool) -> None:
    response = Client().get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_the_api_docs_link_the_partner_guide_which_is_served() -> None:
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    assert "[Partner guide](/api/guide/)" in schema["info"]["description"]
    assert "API.md" not in schema["info"]["description"].replace("docs/api.md", "")
    guide = Client().get("/api/guide/")
    assert guide.status_code == 200 and guide["Content-Type"] == "text/plain; charset=utf-8"
    assert "def verify_oms_signature" in guide.content.decode() and "curl" in guide.content.decode()


def test_the_add_item_request_is_described_for_partners_not_by_an_internal_comment() -> None:
    schemas = Client().get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    described = schemas["CartItemAddRequest"]["description"]
    assert described.startswith("Units of one SKU to add to the cart.")
    assert "server owns" not in str(schemas) and "docs/partners.md" not in str(schemas)


def test_a_bad_country_says_what_is_expected() -> None:
    key = api_key_create(partner_name="Shop A", scopes=["orders"]).raw_key
    body = {
        "lines": [{"sku": "X-1", "quantity": 1}],
        "customer": {"email": "a@example.com", "name": "A"},
        "shipping_address": {"name": "A", "line1": "1 Main St", "city": "Berlin", "postal_code": "10115"},
        "payment": {"method": "card", "token": "pm_card_ok"},
    }
    body["shipping_address"]["country"] = "Germany"
    response = Client(HTTP_AUTHORIZATION=f"Api-Key {key}").post(
        "/api/v1/orders/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="country-1"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "shipping_address.country"
    assert response.json()["message"] == "Use a two-letter ISO 3166-1 country code in capitals, e.g. DE."


def test_a_value_outside_a_choice_names_the_accepted_values() -> None:
    key = api_key_create(partner_name="Shop A", scopes=["orders"]).raw_key
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    report = client.get("/api/v1/reports/top-products/", {"metric": "profit"})
    assert report.status_code == 400 and report.json()["field"] == "metric"
    assert report.json()["message"] == '"profit" is not one of: gmv, orders, units.'
    hook = client.post(
        "/api/v1/webhooks/",
        {"url": "https://partner.example/h", "events": ["order.paid"]},
        content_type="application/json",
    )
    assert hook.status_code == 400 and hook.json()["message"].startswith('"order.paid" is not one of: order.created,')
