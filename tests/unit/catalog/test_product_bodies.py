"""``product_bodies`` (hand-built, used by the product list and detail) must render exactly what
``ProductSerializer`` renders: same keys in the same order, same values, same bytes through DRF's renderer."""

from __future__ import annotations

import pytest
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient, APIRequestFactory

from catalog.api.serializers import ProductSerializer, product_bodies
from catalog.models import Product, Variant
from catalog.selectors import product_list
from catalog.services import product_image_add
from tests.unit.catalog.helpers import allocate, make_variant, picture, receive

pytestmark = pytest.mark.django_db


def test_hand_built_product_bodies_equal_the_serializer_byte_for_byte() -> None:
    make_variant("PB-EUR-S", product="Shirt \u00e9t\u00e9", price="19.90")
    make_variant("PB-EUR-M", product="Shirt \u00e9t\u00e9", price="0.05")
    make_variant("PB-JPY", product="Tea", price="1500", currency="JPY")
    make_variant("PB-GONE", product="Tea")
    Product.objects.filter(name="Tea").update(description="Green \u201cmatcha\u201d\nsecond line")
    receive("PB-EUR-S", "main", 5)
    receive("PB-EUR-S", "north", 2)
    allocate("PB-EUR-S", "main", 3)
    receive("PB-JPY", "main", 1)
    Variant.objects.filter(sku="PB-GONE").update(is_active=False)
    shirt_product = Product.objects.get(name="Shirt \u00e9t\u00e9")
    product_image_add(product=shirt_product, content=picture("red"), alt_text="Front \u201cview\u201d")
    product_image_add(product=shirt_product, content=picture("blue", "PNG"), alt_text="Back")
    request = APIRequestFactory().get("/api/v1/products/", HTTP_HOST="testserver")

    products = list(product_list().order_by("id"))
    expected = [ProductSerializer(product, context={"request": request}).data for product in products]
    built = product_bodies(products, request=request)

    assert built == expected
    assert [list(body) for body in built] == [list(body) for body in expected]
    assert [list(v) for body in built for v in body["variants"]] == [
        list(v) for body in expected for v in body["variants"]
    ]
    assert JSONRenderer().render(built) == JSONRenderer().render(expected)
    shirt, tea = built
    assert [image["alt"] for image in shirt["images"]] == ["Front \u201cview\u201d", "Back"]
    assert shirt["images"][0]["url"].startswith("http://testserver/media/products/")
    assert tea["images"] == []
    assert [v["available"] for v in shirt["variants"]] == [4, 0]
    assert [v["sku"] for v in tea["variants"]] == ["PB-JPY"] and tea["variants"][0]["price"] == "1500"


def test_the_list_and_detail_responses_are_the_serializer_bytes(orders_key: str) -> None:
    """Pins the whole response body of the list and the detail (not only the hand-built part) to what the
    documented ``ProductSerializer`` renders for the same rows."""
    make_variant("PIN-S", product="Pinned", price="19.90")
    make_variant("PIN-M", product="Pinned", price="0.05")
    make_variant("PIN-JPY", product="Yen", price="1500", currency="JPY")
    receive("PIN-S", "main", 5)
    receive("PIN-S", "north", 2)
    allocate("PIN-S", "main", 3)
    product_image_add(product=Product.objects.get(name="Pinned"), content=picture("red"), alt_text="Front")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {orders_key}")
    request = APIRequestFactory().get("/api/v1/products/", HTTP_HOST="testserver")
    expected = [
        ProductSerializer(product, context={"request": request}).data for product in product_list().order_by("id")
    ]

    listed = client.get("/api/v1/products/?page_size=20")
    detail = client.get(f"/api/v1/products/{expected[0]['id']}/")

    assert listed.content == JSONRenderer().render({"next": None, "previous": None, "results": expected})
    assert detail.content == JSONRenderer().render(expected[0])
