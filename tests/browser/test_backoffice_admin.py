"""A warehouse staff member ships an order from the admin and sees it delivered (Chromium, real stack)."""

from __future__ import annotations

import pytest
from django.db import connection
from playwright.sync_api import Browser, Page, expect

from backoffice.permissions import WAREHOUSE
from orders.models import Order
from tests.browser.conftest import shot
from tests.integration.backoffice.helpers import place_confirmed_order
from tests.unit.backoffice.factories import staff_user

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.postgres]


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()


def test_staff_ships_an_order_and_sees_it_delivered(live_oms, live_server, browser: Browser) -> None:
    number = place_confirmed_order("BO-BROWSER-1")
    order = Order.objects.get(number=number)
    user = staff_user(WAREHOUSE, username="wh-browser")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    _log_in(page, live_server.url, user.username)

    page.goto(f"{live_server.url}/admin/orders/order/?q={number}")
    page.click(f"text={number}")
    expect(page.locator("#live-step")).to_have_text("awaiting_shipment")

    shot(page, "admin-order-confirmed")
    page.click("a.order-action-ship")
    page.fill("#id_carrier", "DHL")
    page.fill("#id_tracking_number", "JD014600003")
    page.click("#confirm-action")
    expect(page.locator("ul.messagelist")).to_contain_text(f"{number} is shipped")
    expect(page.locator("div.field-status div.readonly")).to_have_text("shipped")

    page.click("a.order-action-delivery_event")
    page.select_option("#id_status", "delivered")
    page.click("#confirm-action")
    expect(page.locator("ul.messagelist")).to_contain_text("delivered recorded; order delivered")
    expect(page.locator("div.field-status div.readonly")).to_have_text("delivered")
    expect(page.locator("div.field-delivery_status div.readonly")).to_have_text("delivered")
    for _ in range(50):  # the workflow ends right after recording delivered; the page then says it is closed
        if "The workflow is closed" in page.locator(".live-workflow").inner_text():
            break
        page.wait_for_timeout(200)
        page.reload()
    expect(page.locator(".live-workflow")).to_contain_text("The workflow is closed (completed)")
    shot(page, "admin-order-delivered")
    context.close()

    order.refresh_from_db()
    assert (order.status, order.payment_status, order.delivery_status) == ("delivered", "captured", "delivered")
    assert order.tracking_number == "JD014600003"
    # Inside Playwright's sync API this body runs in another context, so its ORM calls used a connection of
    # their own: close it, or the test database cannot be dropped.
    connection.close()
