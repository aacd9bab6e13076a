"""Guessed passwords and mail floods (issue #20 item 4): sign-in lockout per account and per address on the shop
and the admin, password-reset mails limited per account and per address, and how staff unlock an account."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

PASSWORD = "right horse battery 42"


@pytest.fixture(autouse=True)
def fresh_counters() -> Iterator[None]:
    cache.clear()  # the reset limits count in the cache, which outlives a test's transaction
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    # Dozens of sign-ins per test: the production hasher's cost is not what these tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def kim() -> object:
    return get_user_model().objects.create_user("kim", "kim@example.com", PASSWORD)


def _sign_in(client: Client, username: str, password: str, path: str = "/login/") -> object:
    return client.post(path, {"username": username, "password": password})


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_forty_wrong_passwords_then_the_right_one_is_refused(kim: object) -> None:
    client = Client()
    answers = [_sign_in(client, "kim", f"guess {n}").status_code for n in range(40)]
    assert answers[:9] == [200] * 9  # the form again, "enter a correct username and password"
    assert set(answers[10:]) == {429}
    refused = _sign_in(client, "kim", PASSWORD)
    assert refused.status_code == 429 and not _signed_in(client)
    assert b"Too many failed sign-ins" in refused.content and b'name="username"' in refused.content
    # Another case of the same name counts for the same account.
    assert _sign_in(Client(), "KIM", PASSWORD).status_code == 429


def test_the_admin_login_locks_too(kim: object) -> None:
    get_user_model().objects.create_superuser("boss", "boss@example.com", PASSWORD)
    client = Client()
    for n in range(10):
        _sign_in(client, "boss", f"guess {n}", "/admin/login/")
    refused = _sign_in(client, "boss", PASSWORD, "/admin/login/")
    assert refused.status_code == 429 and not _signed_in(client)
    assert b"Too many failed sign-ins" in refused.content and b"id_password" in refused.content


def test_failures_below_the_limit_are_cleared_by_a_success(kim: object) -> None:
    client = Client()
    for n in range(9):
        _sign_in(client, "kim", f"guess {n}")
    assert _sign_in(client, "kim", PASSWORD).status_code == 302 and _signed_in(client)
    assert not AccessAttempt.objects.filter(username="kim").exists()
    client.post("/logout/")
    for n in range(9):  # the count starts again
        _sign_in(client, "kim", f"guess {n}")
    assert _sign_in(client, "kim", PASSWORD).status_code == 302


@override_settings(LOGIN_ADDRESS_FAILURE_LIMIT=15)
def test_an_address_guessing_many_accounts_is_locked_out(kim: object) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(15):  # a few tries per account, none reaches the account limit
        _sign_in(client, f"user{n // 3}", "123456")
    assert _sign_in(client, "kim", PASSWORD).status_code == 429
    # Kim from elsewhere is not affected, and signing in does not clear the guessing address's count.
    assert _sign_in(Client(REMOTE_ADDR="198.51.100.7"), "kim", PASSWORD).status_code == 302
    assert _sign_in(client, "kim", PASSWORD).status_code == 429


def test_staff_unlock_an_account_with_the_command(kim: object) -> None:
    for n in range(10):
        _sign_in(Client(), "kim", f"guess {n}")
    assert _sign_in(Client(), "kim", PASSWORD).status_code == 429
    call_command("axes_reset_username", "kim")
    assert _sign_in(Client(), "kim", PASSWORD).status_code == 302


def test_staff_unlock_an_account_in_the_admin(kim: object) -> None:
    for n in range(10):
        _sign_in(Client(), "kim", f"guess {n}")
    staff = Client()
    staff.force_login(get_user_model().objects.create_superuser("boss", "boss@example.com", PASSWORD))
    attempt = AccessAttempt.objects.get(username="kim")
    assert staff.get("/admin/axes/accessattempt/?q=kim").status_code == 200
    assert staff.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}).status_code == 302
    assert _sign_in(Client(), "kim", PASSWORD).status_code == 302


def test_fifteen_reset_requests_send_at_most_the_configured_mails(kim: object) -> None:
    client = Client()
    answers = {client.post("/password-reset/", {"email": "kim@example.com"}).status_code for _ in range(15)}
    assert answers == {302}  # every answer looks like a sent mail: the page discloses nothing
    assert len(mail.outbox) == 3  # PASSWORD_RESET_RATE_LIMIT = 3/hour
    assert {message.to[0] for message in mail.outbox} == {"kim@example.com"}


@override_settings(PASSWORD_RESET_RATE_LIMIT="1/hour", PASSWORD_RESET_ADDRESS_RATE_LIMIT="4/hour")
def test_reset_requests_are_limited_per_address(kim: object) -> None:
    for n in range(3):
        get_user_model().objects.create_user(f"user{n}", f"user{n}@example.com", PASSWORD)
    client = Client(REMOTE_ADDR="203.0.113.9")
    for email in ["kim@example.com", "kim@example.com", "user0@example.com", "user1@example.com"]:
        client.post("/password-reset/", {"email": email})
    assert sorted(m.to[0] for m in mail.outbox) == ["kim@example.com", "user0@example.com", "user1@example.com"]
    client.post("/password-reset/", {"email": "user2@example.com"})  # fifth request from this address
    assert len(mail.outbox) == 3
    Client(REMOTE_ADDR="198.51.100.7").post("/password-reset/", {"email": "user2@example.com"})
    assert len(mail.outbox) == 4


def test_a_password_reset_unlocks_the_account(kim: object) -> None:
    for n in range(10):
        _sign_in(Client(), "kim", f"guess {n}")
    assert _sign_in(Client(), "kim", PASSWORD).status_code == 429
    client = Client()
    client.post("/password-reset/", {"email": "kim@example.com"})
    (message,) = mail.outbox
    link = next(line for line in message.body.splitlines() if "/password-reset/" in line)
    form = client.get(link.split("testserver", 1)[1], follow=True)
    new = "brand new secret 43"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert _sign_in(Client(), "kim", new).status_code == 302
