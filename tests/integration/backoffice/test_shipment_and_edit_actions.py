"""Staff create a shipment of some lines and edit an order's lines from its admin page (dev server + workers +
PostgreSQL): the same services as the partner API; the page shows shipments, captures and the edit history."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from backoffice.permissions import MANAGER, SUPPORT, WAREHOUSE
from orders import services
from orders.models import Order
from partners.models import Partner
from tests.integration.backoffice.helpers import staff_client
from tests.integration.orders.helpers import order_arguments, order_body, seed_sku, stock, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def two_unit_order(sku: str) -> Order:
    seed_sku(sku, on_hand=10, price="10.00")
    partner, _ = Partner.objects.get_or_create(name="Shop")
    order = services.order_place(
        partner=partner,
        channel="api",
        **order_arguments(order_body(sku, quantity=3)),
        idempotency_key=f"backoffice-{uuid.uuid4().hex}",
        actor="partner:shop",
    )
    wait_for(order.number, {"confirmed"})
    return Order.objects.get(number=order.number)


def test_staff_edit_lines_then_ship_part_of_the_order(live_oms) -> None:
    order = two_unit_order("BO-SPLIT-1")
    support, _ = staff_client(SUPPORT)
    edit_url = reverse("admin:orders_order_act", args=[order.pk, "edit_lines"])
    form = support.get(edit_url).context["form"]
    assert form.fields["qty_BO-SPLIT-1"].initial == 3
    done = support.post(edit_url, {"apply": "1", "qty_BO-SPLIT-1": "4"}, follow=True)
    assert done.status_code == 200
    order.refresh_from_db()
    assert (order.lines.get().quantity, order.total) == (4, Decimal("44.90"))  # 4 x 10.00 + 4.90 shipping
    assert stock("BO-SPLIT-1") == (10, 4)

    warehouse, _ = staff_client(WAREHOUSE)
    ship_url = reverse("admin:orders_order_act", args=[order.pk, "create_shipment"])
    form = warehouse.get(ship_url).context["form"]
    assert form.fields["qty_BO-SPLIT-1"].initial == 4  # default: everything left
    too_many = warehouse.post(
        ship_url, {"apply": "1", "carrier": "DHL", "tracking_number": "S1", "qty_BO-SPLIT-1": "5"}
    )
    assert too_many.status_code == 200 and b"less than or equal to 4" in too_many.content
    warehouse.post(ship_url, {"apply": "1", "carrier": "DHL", "tracking_number": "S1", "qty_BO-SPLIT-1": "1"})
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("partially_shipped", "partially_captured")
    assert stock("BO-SPLIT-1") == (9, 3)

    manager, _ = staff_client(MANAGER)
    page = manager.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert 'id="order-shipments"' in page and "S1" in page
    assert "Items changed" in page  # the edit history is on the timeline
