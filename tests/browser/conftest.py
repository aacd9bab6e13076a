"""Browser test fixtures: Debian's Chromium driven by Playwright (sync API) against pytest-django's live
server, with the real Temporal dev server and the project's workers (``live_oms``) behind it.

Screenshots: set ``OMS_SCREENSHOTS_DIR`` (``make screenshots`` does) and the flows save PNGs of the pages they
visit there; otherwise ``shot`` does nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, Page, expect, sync_playwright

from oms_project.demo import demo_seed

CHROMIUM = "/usr/bin/chromium"

expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is missing (scripts/ensure_chromium.sh installs Debian's package)")
    # Playwright's sync API keeps an asyncio loop on this thread, which trips Django's async-safety check for
    # every ORM call of the test body and the database flush. The tests are plain synchronous code, so the
    # check is lifted while the browser is up (the workaround Playwright documents for Django).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield from _launch()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _launch() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-background-networking"]
        )
        yield browser
        browser.close()


@dataclass
class Shop:
    """The running shop: its URL and a helper to open a fresh browser session (its own cookies)."""

    url: str
    browser: Browser

    def visitor(self, *, width: int = 1280, height: int = 900) -> Page:
        context = self.browser.new_context(base_url=self.url, viewport={"width": width, "height": height})
        context.set_default_timeout(20_000)
        return context.new_page()


@pytest.fixture
def shop(live_server, live_oms, browser: Browser) -> Iterator[Shop]:  # type: ignore[no-untyped-def]
    demo_seed()
    shop = Shop(url=live_server.url, browser=browser)
    yield shop
    for context in list(browser.contexts):
        context.close()


def make_customer(username: str, password: str = "correct horse battery", **extra: str):  # type: ignore[no-untyped-def]
    return get_user_model().objects.create_user(username, f"{username}@example.com", password, **extra)


def sign_in(page: Page, username: str, password: str = "correct horse battery") -> None:
    page.goto("/login/")
    page.get_by_label("E-mail").fill(username)  # the e-mail address, or an older account's username
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot for docs/screenshots when asked to (OMS_SCREENSHOTS_DIR)."""
    folder = os.environ.get("OMS_SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)


def fill_checkout(page: Page, *, card: str, email: str | None = None) -> None:
    """Fill what is not pre-filled and choose a test card."""
    if email is not None:
        page.get_by_label("E-mail").fill(email)
    for label, value in (
        ("Full name", "Grace Hopper"),
        ("Street and number", "Hauptstrasse 1"),
        ("Postal code", "10115"),
        ("City", "Berlin"),
    ):
        field = page.get_by_label(label, exact=True)
        if not field.input_value():
            field.fill(value)
    page.locator(f"input[name=card_token][value={card}]").check()
