from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.test import Client
from rest_framework.test import APIClient

from catalog.models import Product, ProductImage, StockLevel, StockMovement, Variant, Warehouse
from catalog.services import stock_adjust
from customers.models import Address, Customer
from partners.models import ApiKey, Partner
from partners.services import hash_key

pytestmark = pytest.mark.django_db

DEFAULT_KEY = "oms_000000000001_demo-key-for-local-use-only"


@pytest.fixture(autouse=True)
def _debug_on(settings: Any) -> None:
    settings.DEBUG = True  # the embedded profile; pytest-django turns DEBUG off


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, Any]:
    user_model = get_user_model()
    return {
        "counts": [
            m.objects.count()
            for m in (Product, Variant, Warehouse, StockLevel, StockMovement, Customer, Address, Partner, ApiKey)
        ],
        "users": list(user_model.objects.order_by("pk").values_list("username", "password", "is_staff")),
        "stock": list(StockLevel.objects.order_by("pk").values_list("pk", "on_hand", "allocated")),
        "ledger": list(StockMovement.objects.order_by("pk").values_list("pk", "on_hand_delta")),
        "prices": list(Variant.objects.order_by("pk").values_list("sku", "price")),
    }


def test_demo_data_set_is_realistic() -> None:
    output = seed()
    assert Product.objects.count() >= 10 and 24 <= Variant.objects.count() <= 60
    assert Product.objects.values("category").distinct().count() >= 3
    assert list(Warehouse.objects.values_list("code", "priority")) == [("main", 10), ("north", 20)]
    assert StockLevel.objects.filter(on_hand__gt=0).count() > 30
    # The ledger explains every level.
    for level in StockLevel.objects.annotate(moves=Count("variant__movements")):
        total = sum(
            StockMovement.objects.filter(variant=level.variant, warehouse=level.warehouse).values_list(
                "on_hand_delta", flat=True
            )
        )
        assert total == level.on_hand
    assert "admin / admin" in output and "customer@example.com / customer" in output and DEFAULT_KEY in output


def test_second_run_changes_nothing() -> None:
    seed()
    before = snapshot()
    output = seed()
    assert snapshot() == before
    assert "nothing new" in output and DEFAULT_KEY in output


def test_rerun_keeps_staff_edits_and_stock_movements() -> None:
    seed()
    Variant.objects.filter(sku="TEE-CLS-S-BLK").update(price="15.00")
    stock_adjust(sku="MUG-ENM-WHT", warehouse_code="main", kind="write_off", quantity=1, reason="x", actor="t")
    on_hand = StockLevel.objects.get(variant__sku="MUG-ENM-WHT", warehouse__code="main").on_hand
    seed()
    assert str(Variant.objects.get(sku="TEE-CLS-S-BLK").price) == "15.00"
    assert StockLevel.objects.get(variant__sku="MUG-ENM-WHT", warehouse__code="main").on_hand == on_hand


def test_logins_and_api_key_work() -> None:
    seed()
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    client = Client()
    assert client.login(username="admin", password="admin")
    assert client.get("/admin/").status_code == 200
    assert Client().login(username="customer@example.com", password="customer")
    customer = Customer.objects.get(user__email="customer@example.com")
    assert customer.addresses.filter(is_default=True, country="DE").count() == 1

    key = ApiKey.objects.get(partner__name="Demo Marketplace")
    assert sorted(key.scopes) == ["fulfilment", "orders"]
    assert key.key_hash == hash_key(DEFAULT_KEY) and DEFAULT_KEY not in str(list(ApiKey.objects.values()))
    cache.clear()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {DEFAULT_KEY}")
    response = api.get("/api/v1/products/", {"page_size": 100})
    assert response.status_code == 200 and len(response.json()["results"]) == Product.objects.count()


def test_credentials_come_from_the_environment_settings(settings: Any) -> None:
    settings.DEMO_ADMIN_PASSWORD = "s3cret-admin"
    settings.DEMO_API_KEY = "oms_abcdefabcdef_another-demo-secret-123"
    output = seed()
    assert "admin / s3cret-admin" in output and settings.DEMO_API_KEY in output
    assert Client().login(username="admin", password="s3cret-admin")
    assert ApiKey.objects.get(prefix="abcdefabcdef").key_hash == hash_key(settings.DEMO_API_KEY)
    # A changed password is applied on the next run; an unchanged one is left alone.
    settings.DEMO_ADMIN_PASSWORD = "changed-admin"
    seed()
    assert Client().login(username="admin", password="changed-admin")


def test_bad_demo_key_is_a_clear_error(settings: Any) -> None:
    settings.DEMO_API_KEY = "not-a-key"
    with pytest.raises(CommandError, match="must look like oms_"):
        seed()
    assert Product.objects.count() == 0  # one transaction: nothing half-seeded


def test_refuses_public_credentials_without_debug_unless_forced(settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="OMS_DEMO_ADMIN_PASSWORD and OMS_DEMO_API_KEY"):
        seed()
    assert not Variant.objects.exists()
    call_command("seed_demo", "--force", stdout=StringIO())
    assert Variant.objects.exists()


def test_runs_without_debug_with_private_credentials(settings: Any) -> None:
    settings.DEBUG = False
    settings.DEMO_ADMIN_PASSWORD = "a-long-private-password"
    settings.DEMO_API_KEY = "oms_abcdefabcdef_private-demo-secret-123"
    seed()
    assert Variant.objects.exists()


def test_every_demo_product_gets_its_drawn_pictures_once() -> None:
    seed()
    images = ProductImage.objects.select_related("product")
    assert {image.product.name for image in images} == set(Product.objects.values_list("name", flat=True))
    first = list(images.order_by("pk").values_list("pk", "checksum"))
    assert all(Path(image.image.path).stat().st_size > 5000 for image in images)  # real pictures, not blanks
    assert "in black" in images.get(product__name="Classic Tee", position=0).alt_text
    seed()
    assert list(ProductImage.objects.order_by("pk").values_list("pk", "checksum")) == first
