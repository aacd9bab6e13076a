"""A voucher in a real browser: "Apply code" on the cart with a clear message for each refusal, the checkout
page's figures before placing, and the placed order charging exactly the total the page showed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orders.models import Order
from tests.browser.conftest import Shop, fill_checkout, shot
from tests.browser.test_storefront import TEE, _add_to_cart
from vouchers.models import Voucher
from vouchers.services import voucher_create

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.postgres]


def test_guest_applies_a_code_sees_the_final_price_and_is_charged_exactly_that(shop: Shop) -> None:
    voucher_create(code="SAVE10", kind="percentage", value=Decimal("10"), usage_limit=5)
    voucher_create(code="BIGSPEND", kind="fixed", value=Decimal("20"), currency="EUR", min_subtotal=Decimal("100"))
    page = shop.visitor()
    _add_to_cart(page, "Classic Tee", "Medium / Black", 3)  # 3 x 19.90 = 59.70
    page.goto("/cart/")
    expect(page.locator("#cart-total")).to_contain_text("59.70 EUR")

    for code, message in (
        ("nope", "The voucher code 'NOPE' does not exist."),
        ("bigspend", "The voucher BIGSPEND needs a subtotal of at least 100.00 EUR."),
    ):
        page.get_by_label("Voucher code").fill(code)
        page.get_by_role("button", name="Apply code").click()
        expect(page.get_by_text(message)).to_be_visible()
        expect(page.locator("#cart-discount")).to_have_count(0)

    page.get_by_label("Voucher code").fill("save10")
    page.get_by_role("button", name="Apply code").click()
    expect(page.get_by_text("The voucher SAVE10 was applied.")).to_be_visible()
    expect(page.locator("#cart-discount")).to_contain_text("5.97 EUR")
    expect(page.locator("#cart-total")).to_contain_text("53.73 EUR")  # still over 50.00: standard ships free
    shot(page, "voucher-01-cart")

    page.get_by_role("link", name="Proceed to checkout").click()
    expect(page.locator("#checkout-discount")).to_contain_text("5.97 EUR")
    expect(page.locator("#checkout-shipping")).to_contain_text("free")
    expect(page.locator("#voucher-code")).to_have_text("SAVE10")
    # Express is never free: above the threshold it costs its surcharge over standard delivery (9.90 - 4.90).
    expect(page.locator("#total-urgent")).to_have_text("58.73")
    shown = page.locator("#checkout-total").inner_text()
    assert shown == "53.73 EUR"
    fill_checkout(page, card="pm_card_ok", email="saver@example.com")
    shot(page, "voucher-02-checkout")
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "confirmed")
    expect(page.locator("#order-discount")).to_contain_text("5.97 EUR")

    order = Order.objects.get(contact_email="saver@example.com")
    assert f"{order.total} {order.currency}" == shown  # the page's figure is the order's
    assert (order.voucher_code, order.discount, order.shipping) == ("SAVE10", Decimal("5.97"), Decimal("0.00"))
    assert [(line.sku, line.discount, line.total) for line in order.lines.all()] == [
        ("TEE-CLS-M-BLK", Decimal("5.97"), Decimal("53.73"))
    ]
    assert Voucher.objects.get(code="SAVE10").used_count == 1
    assert TEE in page.content()
