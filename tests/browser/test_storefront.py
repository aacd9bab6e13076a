"""The storefront in a real browser: Chromium against the live server, real Temporal and workers."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from carts.services import cart_add_item, cart_for_customer, customer_for_user
from orders.domain import Channel
from orders.lookup import order_lookup_path
from orders.models import Order
from orders.services import order_place
from tests.browser.conftest import Shop, fill_checkout, make_customer, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.postgres]

TEE = "Classic Tee - Medium / Black"


def _mark_page(page: Page) -> None:
    """A flag that survives only as long as the document: proves a later change came without a reload."""
    page.evaluate("window.__sameDocument = true")


def _same_document(page: Page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def _add_to_cart(page: Page, product: str, variant: str, quantity: int = 1) -> None:
    page.goto("/")
    page.get_by_role("link", name=product).click()
    page.get_by_label(f"Quantity of {variant}").fill(str(quantity))
    page.get_by_role("button", name=f"Add {variant} to cart").click()
    expect(page.get_by_text("Added to your cart.")).to_be_visible()


def test_customer_buys_sees_confirmation_live_finds_order_in_history_and_cancels(shop: Shop) -> None:
    make_customer("grace", first_name="Grace", last_name="Hopper")
    page = shop.visitor()
    sign_in(page, "grace")

    # Browse: search, filter, product page.
    page.goto("/")
    expect(page.get_by_role("heading", name="All products")).to_be_visible()
    shot(page, "01-catalog")
    page.get_by_label("Search products").fill("tee")
    page.get_by_label("Search products").press("Enter")
    expect(page.get_by_role("heading", name="Results for “tee”")).to_be_visible()
    page.get_by_label("Category").select_option("Apparel")
    page.get_by_label("In stock only").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("link", name="Classic Tee")).to_be_visible()
    expect(page.get_by_role("link", name="Merino Hoodie")).to_have_count(0)
    page.get_by_role("link", name="Classic Tee").click()
    expect(page.get_by_role("heading", name="Classic Tee", level=1)).to_be_visible()
    expect(page.get_by_text("19.90 EUR").first).to_be_visible()
    shot(page, "02-product")
    page.get_by_label("Quantity of Medium / Black").fill("1")
    page.get_by_role("button", name="Add Medium / Black to cart").click()
    expect(page.get_by_text("Added to your cart.")).to_be_visible()

    # Cart: the quantity changes without a page load (htmx swaps the cart panel).
    page.get_by_role("link", name="Cart", exact=True).click()
    _mark_page(page)
    page.get_by_label(f"Quantity of {TEE}").fill("3")
    page.get_by_role("button", name="Update").click()
    expect(page.locator("#cart-panel")).to_contain_text("59.70 EUR")
    expect(page.locator("#cart-panel")).to_contain_text("Your cart was updated.")
    assert _same_document(page)
    shot(page, "03-cart")

    # Checkout with the approving test card.
    page.get_by_role("link", name="Proceed to checkout").click()
    expect(page.get_by_role("note")).to_contain_text("TEST MODE")
    fill_checkout(page, card="pm_card_ok", email="grace@example.com")
    shot(page, "04-checkout")
    page.get_by_role("button", name="Place order").click()

    # The confirmation page follows the saga by itself (polling the read model), without reloading.
    expect(page.get_by_role("heading", name="Thank you for your order!")).to_be_visible()
    _mark_page(page)
    status = page.locator("[data-status]")
    expect(status).to_have_attribute("data-status", "confirmed")
    assert _same_document(page)
    expect(page.get_by_text("Card authorized")).to_be_visible()
    shot(page, "05-confirmation")
    order = Order.objects.get(customer__user__username="grace")
    assert order.channel == Channel.WEB and order.status == "confirmed"
    assert order.total == Decimal("59.70") and [(line.sku, line.quantity) for line in order.lines.all()] == [
        ("TEE-CLS-M-BLK", 3)
    ]

    # History, then cancel from the order page.
    page.get_by_role("link", name="My orders").click()
    row = page.get_by_role("row").filter(has_text=order.number)
    expect(row).to_contain_text("Confirmed")
    shot(page, "06-history")
    row.get_by_role("link", name=order.number).click()
    page.get_by_role("button", name="Cancel order").click()
    page.get_by_role("button", name="Yes, cancel this order").click()  # the confirmation step
    expect(page.get_by_text(f"Order {order.number} is cancelled.")).to_be_visible()
    expect(status).to_have_attribute("data-status", "cancelled")
    expect(page.get_by_role("button", name="Cancel order")).to_have_count(0)
    expect(page.get_by_text("This order was cancelled: Cancelled by the customer. Any payment")).to_be_visible()
    shot(page, "07-cancelled")
    order.refresh_from_db()
    assert order.status == "cancelled" and order.payment_status == "voided"
    assert order.events.get(type="cancelled").actor == f"customer:{order.customer_id}"


def test_guest_checkout_with_a_declined_card_shows_the_reason_and_a_private_order_link(shop: Shop) -> None:
    page = shop.visitor()
    _add_to_cart(page, "Classic Tee", "Large / White", 2)
    page.goto("/checkout/")
    expect(page.get_by_text("Checking out as a guest")).to_be_visible()
    # Form errors are shown next to the fields, and nothing is placed.
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("Please correct the fields marked below.")).to_be_visible()
    expect(page.get_by_label("E-mail")).to_have_attribute("aria-invalid", "true")
    assert not Order.objects.exists()

    fill_checkout(page, card="pm_card_declined", email="guest@example.com")
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "failed")
    expect(page.locator("#failure-reason")).to_contain_text("Your card was declined")
    shot(page, "08-declined")
    order = Order.objects.get()
    assert order.customer_id is None and order.failure_reason == "payment_declined"

    # The private link is the way back (no account); put the items back and they are in a new cart.
    link = page.locator("#lookup-link")
    assert link.get_attribute("href").endswith(order_lookup_path(number=order.number))
    page.goto(link.get_attribute("href"))
    expect(page.get_by_role("heading", name=f"Order {order.number}")).to_be_visible()
    page.get_by_role("button", name="Put these items back in my cart").click()
    expect(page.locator("#cart-panel")).to_contain_text("Classic Tee - Large / White")


def test_guest_cart_is_merged_into_the_customer_cart_at_sign_in(shop: Shop) -> None:
    user = make_customer("ada")
    cart_add_item(cart=cart_for_customer(customer=customer_for_user(user=user)), sku="TEE-CLS-S-BLK", quantity=1)
    page = shop.visitor()
    _add_to_cart(page, "Merino Hoodie", "Medium / Navy", 2)
    sign_in(page, "ada")
    page.goto("/cart/")
    panel = page.locator("#cart-panel")
    expect(panel).to_contain_text("Merino Hoodie - Medium / Navy")
    expect(panel).to_contain_text("Classic Tee - Small / Black")
    expect(page.get_by_label("Quantity of Merino Hoodie - Medium / Navy")).to_have_value("2")
    # The same cart on another device.
    other_device = shop.visitor(width=390, height=844)
    sign_in(other_device, "ada")
    other_device.goto("/cart/")
    expect(other_device.locator("#cart-panel")).to_contain_text("Merino Hoodie - Medium / Navy")
    shot(other_device, "09-cart-mobile")


def test_another_customers_order_and_a_forged_guest_link_are_not_found(shop: Shop) -> None:
    owner = customer_for_user(user=make_customer("owner"))
    make_customer("intruder")
    order = order_place(
        customer=owner,
        channel=Channel.WEB,
        lines=[{"sku": "TEE-CLS-S-BLK", "quantity": 1}],
        contact={"email": "owner@example.com", "name": "Owner"},
        shipping_address={"name": "Owner", "line1": "A 1", "city": "Berlin", "postal_code": "10115", "country": "DE"},
        delivery=None,
        payment={"method": "card", "token": "pm_card_ok"},
        idempotency_key="browser-404",
        actor="test",
    )
    url = f"/account/orders/{order.number}/"
    anonymous = shop.visitor()
    assert anonymous.goto(url).status == 404
    intruder = shop.visitor()
    sign_in(intruder, "intruder")
    assert intruder.goto(url).status == 404
    assert intruder.goto(f"{url}status/").status == 404
    # A customer's order is not reachable through a guest link either, and a forged token is refused.
    assert intruder.goto(order_lookup_path(number=order.number)).status == 404
    assert intruder.goto(re.sub(r":[^:/]+/$", ":forged/", order_lookup_path(number="O-AAAAAAAAAAAA"))).status == 404
    owner_page = shop.visitor()
    sign_in(owner_page, "owner")
    assert owner_page.goto(url).status == 200
    expect(owner_page.get_by_role("heading", name=f"Order {order.number}")).to_be_visible()
