from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import Product, StockLevel, StockMovement, Variant, Warehouse
from tests.unit.catalog.helpers import allocate, make_variant, receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked() -> StockLevel:
    make_variant("TEE-S", product="Tee")
    make_variant("MUG-1", product="Mug")
    receive("TEE-S", "main", 10)
    receive("MUG-1", "main", 2)
    return StockLevel.objects.get(variant__sku="TEE-S")


@pytest.mark.parametrize("model", [Product, Variant, Warehouse, StockLevel, StockMovement])
def test_changelists_render_with_search_and_filters(admin_client: Client, stocked: StockLevel, model: Any) -> None:
    url = reverse(f"admin:catalog_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "TEE"}).status_code == 200


def test_change_forms_render(admin_client: Client, stocked: StockLevel) -> None:
    variant = stocked.variant
    movement = StockMovement.objects.first()
    for url in [
        reverse("admin:catalog_product_add"),
        reverse("admin:catalog_product_change", args=[variant.product_id]),
        reverse("admin:catalog_variant_change", args=[variant.pk]),
        reverse("admin:catalog_warehouse_change", args=[stocked.warehouse_id]),
        reverse("admin:catalog_stocklevel_change", args=[stocked.pk]),
        reverse("admin:catalog_stockmovement_change", args=[movement.pk]),
    ]:
        assert admin_client.get(url).status_code == 200, url


def test_variant_list_shows_available(admin_client: Client, stocked: StockLevel) -> None:
    allocate("TEE-S", "main", 3)
    response = admin_client.get(reverse("admin:catalog_variant_changelist"), {"q": "TEE-S"})
    assert response.context["cl"].result_list[0].available == 7


def test_low_stock_filter(admin_client: Client, stocked: StockLevel) -> None:
    url = reverse("admin:catalog_stocklevel_changelist")
    low = admin_client.get(url, {"stock": "low"}).context["cl"].result_list
    assert [level.variant.sku for level in low] == ["MUG-1"]
    allocate("MUG-1", "main", 2)
    out = admin_client.get(url, {"stock": "out"}).context["cl"].result_list
    assert [level.variant.sku for level in out] == ["MUG-1"]


def test_changelist_queries_do_not_grow(admin_client: Client, django_assert_max_num_queries: Any) -> None:
    for i in range(15):
        make_variant(f"N-{i}", product=f"P{i}")
        receive(f"N-{i}", "main", 1)
    for name in ["variant", "stocklevel", "stockmovement", "product"]:
        with django_assert_max_num_queries(12):
            assert admin_client.get(reverse(f"admin:catalog_{name}_changelist")).status_code == 200


def test_stock_quantities_are_read_only_in_the_change_form(admin_client: Client, stocked: StockLevel) -> None:
    url = reverse("admin:catalog_stocklevel_change", args=[stocked.pk])
    admin_client.post(url, {"on_hand": 999, "allocated": 5})
    stocked.refresh_from_db()
    assert (stocked.on_hand, stocked.allocated) == (10, 0)
    assert admin_client.get(reverse("admin:catalog_stocklevel_add")).status_code == 403


def test_adjust_form_records_a_ledger_entry(admin_client: Client, stocked: StockLevel) -> None:
    url = reverse("admin:catalog_stocklevel_adjust")
    form = admin_client.get(url, {"sku": "TEE-S", "warehouse": "main"})
    assert form.status_code == 200 and 'value="TEE-S"' in form.content.decode()

    response = admin_client.post(
        url, {"sku": "TEE-S", "warehouse": "main", "kind": "write_off", "quantity": 4, "reason": "water damage"}
    )

    assert response.status_code == 302
    stocked.refresh_from_db()
    assert stocked.on_hand == 6
    movement = StockMovement.objects.latest("id")
    assert (movement.kind, movement.on_hand_delta, movement.reason) == ("write_off", -4, "water damage")
    assert movement.actor == "admin:admin"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "write_off", "quantity": 9, "reason": "x"}, "3 unit(s) are allocated"),
        ({"kind": "receive", "quantity": 1, "reason": ""}, "This field is required"),
        ({"kind": "receive", "quantity": -1, "reason": "x"}, "positive quantity"),
        ({"kind": "import", "quantity": 1, "reason": "x"}, "Select a valid choice"),
        ({"kind": "receive", "quantity": 1, "reason": "x", "sku": "NOPE"}, "Unknown SKU"),
    ],
)
def test_adjust_form_shows_errors_and_changes_nothing(
    admin_client: Client, stocked: StockLevel, data: dict[str, Any], message: str
) -> None:
    allocate("TEE-S", "main", 3)
    before = StockMovement.objects.count()
    response = admin_client.post(
        reverse("admin:catalog_stocklevel_adjust"), {"sku": "TEE-S", "warehouse": "main", **data}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert StockMovement.objects.count() == before
    stocked.refresh_from_db()
    assert stocked.on_hand == 10


def test_adjust_action_redirects_to_the_form_for_one_level(admin_client: Client, stocked: StockLevel) -> None:
    url = reverse("admin:catalog_stocklevel_changelist")
    response = admin_client.post(url, {"action": "adjust_selected", "_selected_action": [stocked.pk]})
    assert response.status_code == 302 and "sku=TEE-S" in response["Location"]


def test_ledger_is_read_only(admin_client: Client, stocked: StockLevel) -> None:
    movement = StockMovement.objects.get(variant__sku="TEE-S")
    assert admin_client.get(reverse("admin:catalog_stockmovement_add")).status_code == 403
    admin_client.post(reverse("admin:catalog_stockmovement_change", args=[movement.pk]), {"on_hand_delta": 100})
    assert admin_client.get(reverse("admin:catalog_stockmovement_delete", args=[movement.pk])).status_code == 403
    movement.refresh_from_db()
    assert movement.on_hand_delta == 10


def test_staff_without_permission_cannot_adjust(client: Client, django_user_model: Any, stocked: StockLevel) -> None:
    user = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(user)
    url = reverse("admin:catalog_stocklevel_adjust")
    client.post(url, {"sku": "TEE-S", "warehouse": "main", "kind": "receive", "quantity": 5, "reason": "x"})
    stocked.refresh_from_db()
    assert stocked.on_hand == 10
