"""What a buyer judges the product by (issue #18), in Chromium at desktop (1440 px) and phone (390 px) widths:
product pictures that load, sorting, the phone layout, the cart count, and the back office's home, order list,
order page and stock page. The pages are saved as docs/screenshots/ by ``make screenshots``."""

from __future__ import annotations

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shop, shot
from tests.integration.backoffice.helpers import place_confirmed_order

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.postgres]

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def _pictures_loaded(page: Page, selector: str) -> list[dict[str, object]]:
    """Each matching picture's alt text and whether the browser decoded it (a broken URL has no natural width)."""
    return page.eval_on_selector_all(
        selector, "imgs => imgs.map(i => ({alt: i.alt, ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth}))"
    )


@pytest.mark.parametrize(("size", "label"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_catalog_and_product_pages_show_their_pictures(shop: Shop, size: dict[str, int], label: str) -> None:
    page = shop.visitor(**size)
    page.goto("/")
    expect(page.locator("img.thumb").first).to_be_visible()
    for card in page.locator(".product-grid img.thumb").all():  # lazy pictures load when scrolled to
        card.scroll_into_view_if_needed()
    page.wait_for_function("[...document.querySelectorAll('.product-grid img.thumb')].every(i => i.complete)")
    cards = _pictures_loaded(page, ".product-grid img.thumb")
    assert len(cards) == 11 and all(card["ok"] and card["w"] == 480 for card in cards), cards
    assert "Classic Tee in black" in {card["alt"] for card in cards}
    if label == "phone":
        # Products first: the filters fold into one line above the grid, which starts within the first screen.
        expect(page.locator("#filters-panel")).not_to_have_attribute("open", "")
        expect(page.get_by_label("Min price")).to_be_hidden()
        assert page.locator(".product-grid").bounding_box()["y"] < 400
        page.get_by_text("Filter products").click()
        expect(page.get_by_label("Category")).to_be_visible()
        page.get_by_text("Filter products").click()
    else:
        expect(page.get_by_label("Category")).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, f"10-catalog-{label}", full_page=label == "desktop")

    page.get_by_role("link", name="Enamel Mug").click()
    expect(page.get_by_role("heading", name="Enamel Mug", level=1)).to_be_visible()
    page.wait_for_load_state("networkidle")
    main = _pictures_loaded(page, "#gallery-main")
    assert main == [{"alt": "Enamel Mug in white", "ok": True, "w": 800}], main  # the original is 800 px
    thumbs = _pictures_loaded(page, ".gallery-thumbs img")
    assert [t["alt"] for t in thumbs] == [f"Show: Enamel Mug in {c}" for c in ("white", "forest green", "lake blue")]
    assert all(t["ok"] for t in thumbs)
    page.get_by_role("link", name="Show: Enamel Mug in lake blue").click()
    expect(page.locator("#gallery-main")).to_have_attribute("alt", "Enamel Mug in lake blue")
    shot(page, f"11-product-{label}", full_page=label == "desktop")


def test_sorting_and_the_cart_count_in_the_header(shop: Shop) -> None:
    page = shop.visitor(**DESKTOP)
    page.goto("/?category=Apparel")
    expect(page.locator("#sort-apply")).to_be_hidden()  # choosing an order applies it at once
    page.get_by_label("Sort by").select_option("-price")
    expect(page).to_have_url("/?category=Apparel&sort=-price")
    names = page.locator(".product-grid h2").all_inner_texts()
    assert names == ["Rain Jacket", "Merino Hoodie", "Classic Tee", "Wool Socks"]
    page.get_by_label("Sort by").select_option("price")
    expect(page.locator(".product-grid h2").first).to_have_text("Wool Socks")
    expect(page.get_by_label("Category")).to_have_value("Apparel")  # the filter stayed
    shot(page, "12-catalog-sorted", full_page=False)

    cart_link = page.get_by_role("link", name="Cart", exact=True)
    expect(page.locator(".cart-count")).to_have_count(0)
    page.get_by_role("link", name="Wool Socks").click()
    page.get_by_label("Quantity of EU 40-43").fill("2")
    page.get_by_role("button", name="Add EU 40-43 to cart").click()
    expect(page.get_by_text("Added to your cart.")).to_be_visible()
    expect(page.locator(".cart-count")).to_have_text("2")
    expect(cart_link).to_have_accessible_description("2 items in your cart")

    # Checkout shows the whole bill, not just the subtotal: 2 x 14.50 + 4.90 standard shipping.
    page.goto("/checkout/")
    expect(page.locator("#checkout-total")).to_have_text("33.90 EUR")
    expect(page.locator(".summary")).to_contain_text("With express delivery: 9.90 EUR shipping, 38.90 EUR in total.")

    # On the cart page an htmx change updates the header in place.
    cart_link.click()
    page.get_by_label("Quantity of Wool Socks - EU 40-43").fill("5")
    page.get_by_role("button", name="Update").click()
    expect(page.locator("#cart-panel")).to_contain_text("Your cart was updated.")
    expect(page.locator(".cart-count")).to_have_text("5")
    expect(page.locator("#cart-panel img.line-thumb")).to_have_count(1)  # the line shows its product's picture


def _admin(shop: Shop) -> Page:
    page = shop.visitor(**DESKTOP)
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin")
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_contain_text("Northwind Goods")
    return page


def test_back_office_home_order_list_order_page_and_stock(shop: Shop) -> None:
    number = place_confirmed_order("MUG-ENM-GRN", seed=False)
    page = _admin(shop)

    # Home: the operations dashboard.
    expect(page.locator("#orders-per-status")).to_be_visible()
    expect(page.locator(".bo-kpi").first).to_contain_text("orders today")
    expect(page.locator("#content-related")).to_contain_text("Stock levels")
    shot(page, "20-admin-home")
    page.click("#dashboard-link")
    expect(page.locator("#task-queues")).to_contain_text("ORDER_TASK_QUEUE")
    shot(page, "24-admin-dashboard")
    page.goto("/admin/")

    # Order list: fits 1440 px, numbers on one line.
    page.goto("/admin/orders/order/")
    results = page.locator("#changelist .results")
    expect(results).to_contain_text(number)
    shot(page, "21-admin-order-list", full_page=False)
    fits = page.evaluate(
        "() => { const r = document.querySelector('#changelist .results'); return r.scrollWidth <= r.clientWidth; }"
    )
    assert fits
    lines = page.eval_on_selector("#result_list th.field-number a", "a => a.getClientRects().length")
    assert lines == 1  # the order number does not wrap

    # Order page: read-only without Save buttons, the timeline in words with actors.
    page.get_by_role("link", name=number).click()
    expect(page.locator("#order-timeline")).to_contain_text("Order confirmed")
    expect(page.locator("#order-timeline")).to_contain_text("by Partner: shop")
    expect(page.locator("#order-timeline")).not_to_contain_text("{")
    expect(page.locator("input[name=_save]")).to_have_count(0)
    expect(page.locator(".live-workflow")).to_contain_text("delivery booked (")  # not "none"
    shot(page, "22-admin-order")
    page.click("a.order-action-cancel")
    expect(page.get_by_text("Reason (the customer sees it)")).to_be_visible()
    page.go_back()
    page.get_by_role("link", name="History").click()
    expect(page.locator("#order-timeline")).to_contain_text("Order placed")

    # Stock levels.
    page.goto("/admin/catalog/stocklevel/?q=MUG-ENM")
    expect(page.locator("#result_list")).to_contain_text("MUG-ENM-GRN")
    shot(page, "23-admin-stock", full_page=False)
    page.goto("/admin/catalog/product/")
    expect(page.locator("img.bo-thumb").first).to_be_visible()
    connection.close()  # this body's ORM calls used a connection of their own (see test_backoffice_admin.py)
