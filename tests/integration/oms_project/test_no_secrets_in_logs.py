"""No secret reaches the logs: an API key, a password, a password-reset link, a guest's signed order link, a webhook
signing secret and card tokens go through the real code paths (web requests, the order workflow's activities on
the project's workers, the e-mail workflow that mails the guest their link, a webhook delivery that fails once and
is retried) while every log record, at DEBUG and in both formats, is captured."""

from __future__ import annotations

import io
import logging
import re
import secrets
import time
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from notifications.models import Email
from oms_project.observability import JsonFormatter, PlainFormatter
from orders.lookup import order_lookup_path
from orders.services import order_place
from partners.services import api_key_create
from tests.faults.processes import poll_until
from tests.integration.orders.helpers import order_arguments, order_body, post_order, seed_sku, wait_for
from tests.integration.webhooks.receiver import Receiver, receiver
from tests.temporal_env import settings_override

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

# Loggers that the project's LOGGING quietens: opened up too, so a secret logged at DEBUG anywhere is caught.
QUIETENED = ("temporalio", "django.db.backends")


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Everything logged while the test runs, as the JSON and the plain formatter write it."""
    sink = io.StringIO()
    handlers = []
    for formatter in (JsonFormatter(), PlainFormatter()):
        handler = logging.StreamHandler(sink)
        handler.setFormatter(formatter)
        handler.setLevel(logging.DEBUG)
        handlers.append(handler)
    root = logging.getLogger()
    saved = [(root, root.level)] + [(logging.getLogger(name), logging.getLogger(name).level) for name in QUIETENED]
    for logger, _ in saved:
        logger.setLevel(logging.DEBUG)
    for handler in handlers:
        root.addHandler(handler)
    try:
        yield sink
    finally:
        for handler in handlers:
            root.removeHandler(handler)
        for logger, level in saved:
            logger.setLevel(level)


def wait_for_requests(hook: Receiver, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(hook.requests) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"the receiver got {len(hook.requests)} of {count} webhook requests")
        time.sleep(0.1)


def test_api_key_password_webhook_secret_and_card_tokens_never_reach_the_logs(
    live_oms, captured_logs: io.StringIO
) -> None:
    seed_sku("SECRET-1", on_hand=10)
    raw_key = api_key_create(partner_name="shop", scopes=["orders"]).raw_key
    forged_key = raw_key[:-6] + "AAAAAA"  # right prefix, wrong secret: the failed-authentication path
    password = "pw-" + secrets.token_urlsafe(16)
    get_user_model().objects.create_user("grace", "grace@example.com", password, is_staff=True, is_superuser=True)
    card_ok, card_flaky, card_declined = (
        f"pm_card_{kind}_{secrets.token_hex(8)}" for kind in ("ok", "flaky", "declined")
    )

    # API key: accepted, and refused (401).
    shop = Client(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert shop.get("/api/v1/orders/").status_code == 200
    assert Client(HTTP_AUTHORIZATION=f"Api-Key {forged_key}").get("/api/v1/orders/").status_code == 401
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw_key}").get("/api/v1/orders/").status_code == 401

    # Password: wrong then right, on the shop's and the admin's login forms.
    browser = Client()
    assert browser.post("/login/", {"username": "grace", "password": password + "x"}).status_code == 200
    assert browser.post("/login/", {"username": "grace", "password": password}).status_code == 302
    admin = Client()
    assert admin.post("/admin/login/", {"username": "grace", "password": password + "x"}).status_code == 200
    assert admin.post("/admin/login/", {"username": "grace", "password": password}).status_code == 302

    # Password reset: the e-mailed link (its token is in the path) is opened and a new password set.
    reset = Client()
    assert reset.post("/password-reset/", {"email": "grace@example.com"}).status_code == 302
    [reset_mail] = [m for m in mail.outbox if m.to == ["grace@example.com"] and "password" in m.subject.lower()]
    reset_url = re.search(r"https?://\S+/password-reset/\S+/", reset_mail.body).group(0)
    reset_path = reset_url.split("://", 1)[1].split("/", 1)[1]
    reset_token = reset_path.rstrip("/").rsplit("/", 1)[1]
    set_password = reset.get(reset_url)
    assert set_password.status_code == 302, set_password
    new_password = "pw-" + secrets.token_urlsafe(16)
    done = reset.post(set_password["Location"], {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302 and done["Location"] == "/password-reset/done/"

    with settings_override(WEBHOOK_ALLOW_PRIVATE_TARGETS=True), receiver(fail_first=1) as hook:
        created = shop.post(
            "/api/v1/webhooks/", {"url": hook.url, "events": ["order.confirmed"]}, content_type="application/json"
        )
        assert created.status_code == 201, created.content
        webhook_secret = created.json()["secret"]

        # Card tokens: a confirmed order (its webhook is signed with the secret, refused once, then retried),
        # a card that fails transiently before it succeeds, and a declined card.
        confirmed = post_order(shop, order_body("SECRET-1", token=card_ok), key="secret-1").json()["number"]
        flaky = post_order(shop, order_body("SECRET-1", token=card_flaky), key="secret-2").json()["number"]
        declined = post_order(shop, order_body("SECRET-1", token=card_declined), key="secret-3").json()["number"]
        assert wait_for(confirmed).status == "confirmed"
        assert wait_for(flaky).status == "confirmed"
        assert wait_for(declined).status == "failed"
        # A guest's order: its confirmation e-mail (sent by the e-mail worker) carries the signed link, then opened.
        guest = order_place(
            channel="web",
            **order_arguments(order_body("SECRET-1", token=card_ok)),
            idempotency_key="secret-4",
            actor="guest",
        )
        assert wait_for(guest.number).status == "confirmed"
        poll_until(
            lambda: Email.objects.filter(order=guest, status="sent").exists(), timeout=60, what="the guest's e-mail"
        )
        guest_path = order_lookup_path(number=guest.number)
        assert any(guest_path in message.body for message in mail.outbox)
        assert Client().get(guest_path).status_code == 200
        assert Client().get(guest_path + "status/").status_code == 200
        wait_for_requests(hook, 3)  # two confirmed orders, plus the refused first attempt of the first one
        assert all("OMS-Signature" in request.headers for request in hook.requests)

    logs = captured_logs.getvalue()
    # The capture saw the real paths: web requests, the workflows' activities, the sandbox's transient failure.
    assert '"logger": "orders.services"' in logs and f"order-{confirmed}" in logs
    assert "Unauthorized: /api/v1/orders/" in logs
    secret_values = {
        "API key": raw_key,
        "API key secret part": raw_key.split("_", 2)[2],
        "forged API key secret part": forged_key.split("_", 2)[2],
        "password": password,
        "new password": new_password,
        "password-reset URL": reset_path,
        "password-reset token": reset_token,
        "webhook secret": webhook_secret,
        "guest order link token": guest_path.strip("/").split("/")[-1].split(":", 1)[1],
        "card token (ok)": card_ok,
        "card token (flaky)": card_flaky,
        "card token (declined)": card_declined,
    }
    leaked = {what: value for what, value in secret_values.items() if value in logs}
    assert not leaked, f"secrets in the logs: {sorted(leaked)}"
