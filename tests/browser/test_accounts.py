"""Accounts by e-mail in a real browser: sign up with an address, sign in with it (any case), reset the password
through the link a real SMTP server received, and check out with the address book's default address (edited at
checkout), whose confirmation e-mail then arrives."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from customers.models import Customer
from orders.models import Order
from tests.browser.conftest import Shop, fill_checkout, shot
from tests.smtp_sink import parts, smtp_sink
from tests.temporal_env import settings_override

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.postgres]

PASSWORD = "a long enough passphrase"


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def test_sign_up_by_email_sign_in_and_reset_the_password_by_the_emailed_link(shop: Shop) -> None:
    page = shop.visitor()
    page.goto("/signup/")
    expect(page.get_by_label("Username")).to_have_count(0)
    page.get_by_label("E-mail").fill("Ada.King@example.com")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("King")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Welcome! Your account is ready.")).to_be_visible()
    shot(page, "20-signed-up")
    sign_out(page)

    sign_in(page, "ada.king@EXAMPLE.com", PASSWORD)
    expect(page.get_by_role("button", name="Sign out")).to_contain_text("Ada.King@example.com")
    sign_out(page)

    with smtp_sink() as sink, settings_override(**sink.settings()):
        page.goto("/login/")
        page.get_by_role("link", name="Forgot your password?").click()
        page.get_by_label(re.compile("^e-?mail", re.IGNORECASE)).fill("ada.king@example.com")
        page.get_by_role("button", name=re.compile("reset|send", re.IGNORECASE)).click()
        [message] = sink.wait_for(lambda got: len(got) == 1, what="the reset e-mail")
    assert message["To"] == "Ada.King@example.com"
    link = re.search(r"https?://\S+/password-reset/\S+/", parts(message)[0]).group(0)
    page.goto(link)
    expect(page.get_by_text("Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill("an even longer passphrase")
    page.get_by_label(re.compile("confirmation|again", re.IGNORECASE)).fill("an even longer passphrase")
    page.get_by_role("button", name=re.compile("password", re.IGNORECASE)).click()
    sign_in(page, "ada.king@example.com", "an even longer passphrase")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_the_default_address_is_filled_in_at_checkout_editable_there_and_the_confirmation_is_emailed(
    shop: Shop,
) -> None:
    page = shop.visitor()
    page.goto("/signup/")
    page.get_by_label("E-mail").fill("lin@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Welcome! Your account is ready.")).to_be_visible()

    page.get_by_role("link", name="My account").click()
    page.get_by_role("link", name="Add an address").click()
    page.get_by_label("Full name").fill("Lin Chen")
    page.get_by_label("Street and number").fill("Lindenallee 7")
    page.get_by_label("Postal code").fill("20095")
    page.get_by_label("City").fill("Hamburg")
    page.get_by_label("Country").select_option("DE")
    page.get_by_role("button", name="Save address").click()
    expect(page.get_by_text("Default shipping address")).to_be_visible()
    shot(page, "21-account")

    page.goto("/")
    page.get_by_role("link", name="Classic Tee").click()
    page.get_by_label("Quantity of Medium / Black").fill("1")
    page.get_by_role("button", name="Add Medium / Black to cart").click()
    expect(page.get_by_text("Added to your cart.")).to_be_visible()
    page.goto("/checkout/")
    expect(page.get_by_label("E-mail")).to_have_value("lin@example.com")
    expect(page.get_by_label("Street and number")).to_have_value("Lindenallee 7")
    expect(page.get_by_label("City", exact=True)).to_have_value("Hamburg")
    page.get_by_label("Apartment, floor (optional)").fill("3rd floor")  # edited at checkout
    fill_checkout(page, card="pm_card_ok")
    with smtp_sink() as sink, settings_override(**sink.settings()):
        page.get_by_role("button", name="Place order").click()
        expect(page.locator("[data-status]")).to_have_attribute("data-status", "confirmed")
        order = Order.objects.get(customer=Customer.objects.get(user__email="lin@example.com"))
        [message] = sink.wait_for(lambda got: len(got) == 1, what="the confirmation e-mail")
    assert (order.ship_line1, order.ship_line2, order.ship_city) == ("Lindenallee 7", "3rd floor", "Hamburg")
    assert message["Subject"] == f"Your order {order.number} is confirmed" and message["To"] == "lin@example.com"
    text, html = parts(message)
    assert f"/account/orders/{order.number}/" in text and "Lindenallee 7, 3rd floor" in html
    mail_view = shop.visitor(width=700)
    mail_view.set_content(html)  # the HTML part as a mail client shows it
    expect(mail_view.get_by_role("heading", name="Thank you: your order is confirmed")).to_be_visible()
    expect(mail_view.get_by_role("link", name="View your order")).to_have_attribute("href", re.compile(order.number))
    shot(mail_view, "22-email-confirmed")
