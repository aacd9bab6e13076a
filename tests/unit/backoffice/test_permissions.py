"""Staff groups: who sees which action, who may open which page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from backoffice.permissions import GROUP_PERMISSIONS, MANAGER, SUPPORT, WAREHOUSE
from tests.unit.backoffice.factories import bulk_orders, staff_user

pytestmark = pytest.mark.django_db


def _client(group: str | None) -> Client:
    client = Client()
    client.force_login(staff_user(group))
    return client


def _actions(client: Client, changelist: str = "admin:orders_order_changelist") -> set[str]:
    response = client.get(reverse(changelist))
    assert response.status_code == 200
    form = response.context["action_form"]  # None when the user may run no action at all
    return {name for name, _ in form.fields["action"].choices if name} if form else set()


def test_setup_staff_groups_is_idempotent() -> None:
    call_command("setup_staff_groups")
    call_command("setup_staff_groups")
    assert set(Group.objects.values_list("name", flat=True)) == {SUPPORT, WAREHOUSE, MANAGER}
    for name, labels in GROUP_PERMISSIONS.items():
        group = Group.objects.get(name=name)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert granted == set(labels)
    manager = Group.objects.get(name=MANAGER)
    assert manager.permissions.filter(codename__in=["cancel_order", "ship_order", "record_delivery_event"]).count() == 3
    assert manager.permissions.filter(codename="change_stocklevel").exists()


def test_support_sees_cancel_only() -> None:
    client = _client(SUPPORT)
    assert _actions(client) == {"cancel_orders"}
    order = bulk_orders(1)[0]
    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "order-action-cancel" in page and "order-action-ship" not in page
    assert client.get(reverse("admin:catalog_stocklevel_adjust")).status_code == 302  # no stock adjustments
    ship = reverse("admin:orders_order_act", args=[order.pk, "ship"])
    assert client.post(ship, {"apply": "1", "carrier": "DHL", "tracking_number": "1"}).status_code == 403
    assert client.get(reverse("admin:customers_customer_changelist")).status_code == 200


def test_warehouse_cannot_cancel_but_adjusts_stock() -> None:
    client = _client(WAREHOUSE)
    assert _actions(client) == {"ship_orders", "create_shipment_orders", "delivery_event_orders"}
    order = bulk_orders(1)[0]
    order.status = "confirmed"  # the page offers only what the order allows now: a confirmed order ships
    order.save(update_fields=["status"])
    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "order-action-cancel" not in page
    assert "order-action-ship" in page and "order-action-delivery_event" in page
    # not even by posting the action by hand
    url = reverse("admin:orders_order_act", args=[order.pk, "cancel"])
    assert client.post(url, {"apply": "1", "reason": "x"}).status_code == 403
    response = client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "cancel_orders", "_selected_action": [order.pk], "apply": "1", "reason": "x"},
    )
    assert response.status_code in (200, 302)  # the action is not offered, so nothing runs
    order.refresh_from_db()
    assert order.status == "confirmed"
    assert client.get(reverse("admin:catalog_stocklevel_adjust")).status_code == 200
    assert client.get(reverse("admin:customers_customer_changelist")).status_code == 403


def test_manager_sees_every_action_and_the_dashboard(temporal_down) -> None:
    client = _client(MANAGER)
    # "Edit lines" is on the order's page only (an edit names one order's complete lines), not a list action.
    assert _actions(client) == {"cancel_orders", "ship_orders", "create_shipment_orders", "delivery_event_orders"}
    assert client.get(reverse("admin:orders_order_dashboard")).status_code == 200
    assert client.get(reverse("admin:catalog_stocklevel_adjust")).status_code == 200


def test_staff_without_groups_sees_no_orders() -> None:
    client = _client(None)
    assert client.get(reverse("admin:orders_order_changelist")).status_code == 403
    assert client.get(reverse("admin:orders_order_dashboard")).status_code == 403
    assert client.get(reverse("admin:orders_order_export")).status_code == 403


def test_only_manager_may_retry_webhook_deliveries() -> None:
    changelist = "admin:webhooks_webhookdelivery_changelist"
    assert "retry_delivery" not in _actions(_client(SUPPORT), changelist)
    assert "retry_delivery" in _actions(_client(MANAGER), changelist)


def test_warehouse_adjusts_stock_through_the_ledger() -> None:
    from catalog.models import StockMovement
    from tests.integration.orders.helpers import seed_sku, stock

    seed_sku("BO-STOCK-1", on_hand=3)
    client = _client(WAREHOUSE)
    response = client.post(
        reverse("admin:catalog_stocklevel_adjust"),
        {"sku": "BO-STOCK-1", "warehouse": "main", "kind": "write_off", "quantity": 2, "reason": "damaged"},
    )
    assert response.status_code == 302
    assert stock("BO-STOCK-1") == (1, 0)
    movement = StockMovement.objects.filter(variant__sku="BO-STOCK-1").latest("id")
    assert (movement.kind, movement.on_hand_delta, movement.reason) == ("write_off", -2, "damaged")
    assert movement.actor == "admin:staff-warehouse"
    low = client.get(reverse("admin:catalog_stocklevel_changelist") + "?stock=low")
    assert [level.variant.sku for level in low.context["cl"].result_list] == ["BO-STOCK-1"]
