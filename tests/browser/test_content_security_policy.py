"""The Content-Security-Policy breaks nothing: the storefront's scripts (htmx, checkout), the admin and Swagger UI
at /api/docs/ run in Chromium with the policy on, and Chromium reports no violation."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.conftest import Shop
from tests.browser.test_storefront import TEE, _add_to_cart, _mark_page, _same_document

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.postgres]


def record_policy_violations(page: Page) -> list[str]:
    """Chromium reports each blocked script, style, frame or connection as a console error naming the policy."""
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", on_console)
    return violations


def test_storefront_admin_and_api_docs_work_under_the_policy(shop: Shop) -> None:
    page = shop.visitor()
    violations = record_policy_violations(page)

    # Storefront: the add-to-cart form, the htmx cart panel and the checkout page's script.
    _add_to_cart(page, "Classic Tee", "Medium / Black", 2)
    page.goto("/cart/")
    _mark_page(page)
    page.get_by_label(f"Quantity of {TEE}").fill("3")
    page.get_by_role("button", name="Update").click()
    expect(page.locator("#cart-panel")).to_contain_text("59.70 EUR")
    assert _same_document(page)  # htmx swapped the panel: its script ran
    page.goto("/checkout/")
    # checkout.js disables the button on submit; the extra listener keeps the browser on the page to see it.
    page.evaluate(
        """() => {
            const form = document.getElementById("checkout-form");
            form.addEventListener("submit", (event) => event.preventDefault());
            form.requestSubmit();
        }"""
    )
    expect(page.locator("#place-order")).to_be_disabled()
    expect(page.locator("#place-order")).to_have_text("Placing order…")

    # Admin: login form, the dashboard and a change list with its action script.
    get_user_model().objects.create_superuser("root", "root@example.com", "correct horse battery")
    page.goto("/admin/login/?next=/admin/orders/order/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    expect(page.locator("#changelist")).to_be_visible()

    # API docs: Swagger UI renders the operations from the served schema.
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.locator(".swagger-ui")).to_contain_text("/api/v1/orders/")

    assert violations == []
