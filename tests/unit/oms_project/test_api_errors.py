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
