from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from catalog.models import Product, Variant, Warehouse
from catalog.services import product_upsert
from tests.unit.catalog.helpers import allocate, make_variant, receive

pytestmark = pytest.mark.django_db

URL = "/api/v1/products/"


@pytest.fixture(autouse=True)
def _fresh_throttle() -> None:
    cache.clear()


def client_for(key: str | None) -> APIClient:
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def get(key: str | None, url: str = URL, **params: Any) -> Any:
    return client_for(key).get(url, params)


def test_list_shape_with_available_over_active_warehouses(orders_key: str) -> None:
    product, _ = product_upsert(name="Tee", description="Cotton tee")
    make_variant("TEE-S", product="Tee", price="19.9")
    make_variant("TEE-M", product="Tee")
    receive("TEE-S", "main", 10)
    receive("TEE-S", "north", 5)
    receive("TEE-S", "closed", 100)
    Warehouse.objects.filter(code="closed").update(is_active=False)
    allocate("TEE-S", "main", 4)

    response = get(orders_key)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"results", "next", "previous"} and body["next"] is None
    assert body["results"] == [
        {
            "id": product.pk,
            "name": "Tee",
            "description": "Cotton tee",
            "images": [],
            "variants": [
                {"sku": "TEE-S", "name": "TEE-S name", "price": "19.90", "currency": "EUR", "available": 11},
                {"sku": "TEE-M", "name": "TEE-M name", "price": "10.00", "currency": "EUR", "available": 0},
            ],
        }
    ]


def test_zero_decimal_currency_price(orders_key: str) -> None:
    make_variant("YEN-1", price="1500", currency="JPY")
    assert get(orders_key).json()["results"][0]["variants"][0]["price"] == "1500"


def test_inactive_products_and_variants_are_hidden(orders_key: str) -> None:
    make_variant("ON-1", product="Shown")
    make_variant("OFF-1", product="Shown")
    make_variant("HID-1", product="Hidden")
    make_variant("GONE-1", product="All variants off")
    Variant.objects.filter(sku__in=["OFF-1", "GONE-1"]).update(is_active=False)
    Product.objects.filter(name="Hidden").update(is_active=False)

    results = get(orders_key).json()["results"]

    assert [(p["name"], [v["sku"] for v in p["variants"]]) for p in results] == [("Shown", ["ON-1"])]
    hidden = Product.objects.get(name="Hidden")
    assert get(orders_key, f"{URL}{hidden.pk}/").status_code == 404
    assert get(orders_key, sku="OFF-1").json()["results"] == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"search": "lamp"}, ["Desk Lamp"]),
        ({"search": "warm light"}, ["Desk Lamp"]),
        ({"search": "mug-b"}, ["Mug"]),
        ({"search": "MUG-B name"}, ["Mug"]),
        ({"search": "nothing like it"}, []),
        ({"sku": "MUG-B"}, ["Mug"]),
        ({"sku": "mug-b"}, []),
        ({"sku": "MUG"}, []),
        ({"search": "", "sku": ""}, ["Desk Lamp", "Mug"]),
    ],
)
def test_search_and_sku_filters(orders_key: str, params: dict[str, str], expected: list[str]) -> None:
    product_upsert(name="Desk Lamp", description="A warm light for your desk")
    make_variant("LAMP-1", product="Desk Lamp")
    make_variant("MUG-A", product="Mug")
    make_variant("MUG-B", product="Mug")
    assert [p["name"] for p in get(orders_key, **params).json()["results"]] == expected


def test_cursor_pagination_by_id(orders_key: str) -> None:
    ids = [make_variant(f"P-{i}", product=f"Product {i:02d}").product_id for i in range(5)]
    seen: list[int] = []
    response = get(orders_key, page_size=2)
    while True:
        body = response.json()
        assert len(body["results"]) <= 2
        seen += [p["id"] for p in body["results"]]
        if not body["next"]:
            break
        response = client_for(orders_key).get(body["next"])
    assert seen == sorted(ids)


@pytest.mark.parametrize("size", ["0", "101", "abc"])
def test_bad_page_size_is_a_400_with_the_error_body(orders_key: str, size: str) -> None:
    response = get(orders_key, page_size=size)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error" and response.json()["field"] == "page_size"


def test_detail(orders_key: str) -> None:
    variant = make_variant("D-1", product="Detail")
    receive("D-1", "main", 3)
    response = get(orders_key, f"{URL}{variant.product_id}/")
    assert response.status_code == 200
    assert response.json()["variants"] == [
        {"sku": "D-1", "name": "D-1 name", "price": "10.00", "currency": "EUR", "available": 3}
    ]


@pytest.mark.parametrize("product_id", ["999999", "abc", "1e3", "99999999999999999999999", "²"])
def test_detail_unknown_is_a_json_404(orders_key: str, product_id: str) -> None:
    make_variant("D-1")
    response = get(orders_key, f"{URL}{product_id}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("path", [URL, f"{URL}1/"])
def test_requires_the_orders_scope(path: str, fulfilment_key: str) -> None:
    make_variant("A-1")
    assert get(None, path).status_code == 401
    assert get("oms_000000000000_nope", path).status_code == 401
    forbidden = get(fulfilment_key, path)
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "permission_denied"


def test_list_query_count_does_not_grow_with_products(orders_key: str, django_assert_num_queries: Any) -> None:
    for i in range(20):
        for size in ("S", "M", "L"):
            make_variant(f"Q{i}-{size}", product=f"Product {i}")
            receive(f"Q{i}-{size}", "main", 5)
            receive(f"Q{i}-{size}", "north", 1)
    client = client_for(orders_key)
    client.get(URL)  # the key's last_used_at write happens once a minute; keep it out of the count
    with django_assert_num_queries(4):  # key lookup, products, variants with stock, images
        response = client.get(URL)
    body = response.json()
    assert len(body["results"]) == 20
    assert all(v["available"] == 6 for p in body["results"] for v in p["variants"])


def test_schema_describes_the_catalog_api() -> None:
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert {"/api/v1/products/", "/api/v1/products/{product_id}/"} <= set(schema["paths"])
    listing = schema["paths"]["/api/v1/products/"]["get"]
    assert {"search", "sku", "page_size", "cursor"} <= {p["name"] for p in listing["parameters"]}
    assert set(listing["responses"]) == {"200", "400", "401", "403"}
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][page]["properties"]) == {"results", "next", "previous"}
    detail = schema["paths"]["/api/v1/products/{product_id}/"]["get"]
    assert detail["parameters"][0]["schema"]["type"] == "integer" and "404" in detail["responses"]
    product = schema["components"]["schemas"]["Product"]["properties"]
    assert set(product) == {"id", "name", "description", "images", "variants"}
    variant = schema["components"]["schemas"]["Variant"]["properties"]
    assert set(variant) == {"sku", "name", "price", "currency", "available"}
    assert variant["price"]["type"] == "string" and variant["available"]["type"] == "integer"
