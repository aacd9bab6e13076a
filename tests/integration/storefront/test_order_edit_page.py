"""The customer's order page: change quantities or remove lines of a confirmed order before dispatch (the same
edit service as the API), the new total shown before confirming, a clear message when the card declines the
difference; and the shipments with their tracking once it ships."""

from __future__ import annotations

import pytest
from django.test import Client

from catalog.stock import stock_held_by_order
from orders import services
from orders.models import Order
from tests.integration.orders.helpers import seed_sku, wait_for
from tests.integration.storefront.test_order_page_wording import _place

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def test_a_customer_changes_quantities_after_seeing_the_new_total(live_oms) -> None:  # type: ignore[no-untyped-def]
    seed_sku("CUP", on_hand=10, price="10.00")
    order, path = _place(Client(), "CUP", "pm_card_ok")
    wait_for(order.number, {"confirmed"})
    visitor = Client()
    page = visitor.get(path)
    assert f'action="{path}edit/"'.encode() in page.content  # "Change items"

    new_total = f"{30 + order.shipping:.2f}"  # 3 x 10.00 + the order's shipping
    preview = visitor.post(f"{path}edit/", {"qty_CUP": "3", "preview": "1"})
    assert preview.status_code == 200
    assert f"New total: <strong>{new_total} EUR</strong>".encode() in preview.content
    assert Order.objects.get().lines.get().quantity == 1  # looking at the new total changes nothing

    done = visitor.post(f"{path}edit/", {"qty_CUP": "3", "confirm": "1"}, follow=True)
    assert f"was changed. New total: {new_total} EUR".encode() in done.content
    order.refresh_from_db()
    assert (order.lines.get().quantity, str(order.total)) == (3, new_total)
    assert [(a.sku, a.quantity) for a in stock_held_by_order(order.number)] == [("CUP", 3)]
    assert b"Items changed" in done.content  # on the timeline

    refused = visitor.post(f"{path}edit/", {"qty_CUP": "0", "preview": "1"})
    assert b"Keep at least one item, or cancel the order instead." in refused.content


def test_a_declined_difference_says_so_and_changes_nothing(live_oms) -> None:  # type: ignore[no-untyped-def]
    seed_sku("PLATE", on_hand=20, price="10.00")
    order, path = _place(Client(), "PLATE", "pm_card_limit_100")
    wait_for(order.number, {"confirmed"})
    total = str(Order.objects.get().total)
    visitor = Client()
    declined = visitor.post(f"{path}edit/", {"qty_PLATE": "12", "confirm": "1"})
    assert declined.status_code == 200
    assert b"Your card declined the extra amount, so nothing was changed" in declined.content
    order.refresh_from_db()
    assert order.lines.get().quantity == 1 and str(order.total) == total


def test_the_order_page_lists_shipments_and_offers_no_change_once_shipped(live_oms) -> None:  # type: ignore[no-untyped-def]
    seed_sku("BOWL2", on_hand=10, price="10.00")
    order, path = _place(Client(), "BOWL2", "pm_card_ok")
    wait_for(order.number, {"confirmed"})
    services.order_ship(number=order.number, carrier="DHL", tracking_number="PARCEL-1", actor="staff:test")
    page = Client().get(path)
    assert b'id="shipments"' in page.content and b"PARCEL-1" in page.content
    assert f'action="{path}edit/"'.encode() not in page.content
    gone = Client().get(f"{path}edit/", follow=True)
    assert b"can no longer be changed" in gone.content
