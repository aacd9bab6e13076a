"""Returns in Chromium on the real stack: a guest returns items of a delivered order through the signed order
link (and cancels a first request), staff approve and receive it in the admin (one unit written off), the guest
sees the refund; staff make a goodwill refund from the order page."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from backoffice.permissions import SUPPORT, WAREHOUSE
from orders import services as order_services
from orders.lookup import order_lookup_path
from orders.models import Order
from returns.models import Return
from tests.browser.conftest import shot
from tests.integration.orders.helpers import order_arguments, order_body, seed_sku, wait_for
from tests.unit.backoffice.factories import staff_user

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.postgres]


def delivered_guest_order(sku: str) -> Order:
    seed_sku(sku, on_hand=5, price="20.00")
    order = order_services.order_place(
        channel="web",
        **order_arguments(order_body(sku, quantity=2)),
        idempotency_key=f"browser-return-{uuid.uuid4().hex}",
        actor="guest",
    )
    wait_for(order.number, {"confirmed"})
    order_services.order_ship(number=order.number, carrier="DHL", tracking_number="JD1", actor="test")
    order_services.order_record_delivery_event(
        number=order.number, event_id="d1", status="delivered", occurred_at=timezone.now().isoformat(), actor="test"
    )
    return wait_for(order.number, {"delivered"})


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()


def test_guest_returns_items_staff_receive_them_and_the_refund_shows(live_oms, live_server, browser: Browser) -> None:
    order = delivered_guest_order("BR-RET-1")
    base = live_server.url
    guest = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    guest.goto(base + order_lookup_path(number=order.number))
    expect(guest.locator("#order-returns")).to_be_visible()

    # A first request, cancelled by the guest: its units are free again.
    guest.click("#return-items")
    guest.fill("#id_quantity_BR-RET-1", "1")
    guest.select_option("#id_reason", "no_longer_needed")
    guest.click("#request-return")
    expect(guest.locator("#return-status")).to_have_text("requested")
    guest.click("#cancel-return")
    expect(guest.locator("#return-status")).to_have_text("cancelled")

    guest.goto(base + order_lookup_path(number=order.number))
    guest.click("#return-items")
    expect(guest.locator("#id_quantity_BR-RET-1")).to_have_attribute("max", "2")  # what can still be returned
    guest.fill("#id_quantity_BR-RET-1", "2")
    guest.select_option("#id_reason", "damaged")
    guest.fill("#id_note", "The box was crushed")
    guest.click("#request-return")
    expect(guest.locator("#return-status")).to_have_text("requested")
    shot(guest, "storefront-return-requested")
    return_page = guest.url
    ret = Return.objects.exclude(status="cancelled").get(order=order)

    support = staff_user(SUPPORT, username="support-returns")
    warehouse = staff_user(WAREHOUSE, username="warehouse-returns")
    staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(staff, base, support.username)
    staff.goto(f"{base}/admin/returns/return/?status__exact=requested")
    staff.click(f"text={ret.pk}")
    staff.click("#return-approve")
    staff.click("#confirm-step")
    expect(staff.locator("ul.messagelist")).to_contain_text(f"Return {ret.pk} approved")
    staff.context.clear_cookies()

    log_in(staff, base, warehouse.username)
    staff.goto(f"{base}/admin/returns/return/{ret.pk}/change/")
    staff.click("#return-receive")
    staff.uncheck("#id_restock_BR-RET-1")  # the crushed units are written off
    staff.click("#confirm-step")
    expect(staff.locator("ul.messagelist")).to_contain_text(f"Return {ret.pk}")
    for _ in range(50):
        if "refunded" in staff.locator("div.field-status div.readonly").inner_text():
            break
        staff.wait_for_timeout(200)
        staff.reload()
    expect(staff.locator("div.field-status div.readonly")).to_have_text("refunded")
    expect(staff.locator("#order-timeline")).to_contain_text("Return refunded")
    shot(staff, "admin-return-refunded")

    guest.goto(return_page)
    expect(guest.locator("#return-refunded")).to_contain_text("Refunded 40.00 EUR")
    guest.goto(base + order_lookup_path(number=order.number))
    expect(guest.locator("#order-refunded")).to_have_text("40.00 EUR")
    expect(guest.locator("#return-items")).to_have_count(0)  # nothing left to return

    # A goodwill refund from the order page (support): any amount up to what remains, here the shipping.
    staff.context.clear_cookies()
    log_in(staff, base, support.username)
    staff.goto(f"{base}/admin/orders/order/{order.pk}/change/")
    staff.click("#goodwill-refund")
    staff.fill("#id_amount", "100.00")
    staff.fill("#id_reason", "Sorry for the crushed box")
    staff.click("#confirm-step")
    expect(staff.locator("#return-step-form")).to_contain_text("can still be refunded")
    staff.fill("#id_amount", "1.50")
    staff.click("#confirm-step")
    expect(staff.locator("ul.messagelist")).to_contain_text(f"Refunded 1.50 EUR of {order.number}")
    expect(staff.locator("div.field-returns_and_refunds")).to_contain_text("41.50 EUR")

    order.refresh_from_db()
    assert (order.refunded_amount, order.payment_status) == (Decimal("41.50"), "partially_refunded")
    assert [e.type for e in order.events.all()][-1] == "goodwill_refund"
    connection.close()
