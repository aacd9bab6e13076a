"""Accounts by e-mail: sign in with the address in any case (older username accounts keep working), one account
per address ignoring case (enforced by the database too), the account page's profile and address book."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client

from customers.models import Address, Customer

pytestmark = pytest.mark.django_db


def sign_in(identifier: str, password: str) -> int:
    return Client().post("/login/", {"username": identifier, "password": password}).status_code


def test_sign_in_by_email_in_any_case_and_by_an_older_username() -> None:
    User.objects.create_user("newbie", "New.Bie@example.com", "correct horse 42")
    assert sign_in("new.bie@example.com", "correct horse 42") == 302
    assert sign_in("NEW.BIE@EXAMPLE.COM", "correct horse 42") == 302
    assert sign_in("newbie", "correct horse 42") == 302  # signed up with a username before e-mail sign-in
    assert sign_in("new.bie@example.com", "wrong") == 200
    assert sign_in("nobody@example.com", "correct horse 42") == 200
    page = Client().post("/login/", {"username": "new.bie@example.com", "password": "wrong"})
    assert b"do not match an account" in page.content and b"E-mail" in page.content
    User.objects.filter(username="newbie").update(is_active=False)
    assert sign_in("new.bie@example.com", "correct horse 42") == 200


def test_the_demo_customer_signs_in_with_its_email() -> None:
    call_command("seed_demo", "--force", verbosity=0)
    assert sign_in("customer@example.com", "customer") == 302


def test_the_database_refuses_a_second_account_with_the_same_address_in_another_case() -> None:
    User.objects.create_user("a", "Same@Example.com", "pw")
    User.objects.create_user("b", "", "pw")
    User.objects.create_user("c", "", "pw")  # staff accounts may have no address: not a clash
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("d", "same@example.com", "pw")


def signed_in(email: str = "ann@example.com") -> tuple[Client, Customer]:
    user = User.objects.create_user(email, email, "pw")
    client = Client()
    client.force_login(user)
    return client, Customer.objects.create(user=user)


ADDRESS = {
    "name": "Ann Lee",
    "line1": "1 Elm St",
    "line2": "",
    "postal_code": "10115",
    "city": "Berlin",
    "country": "DE",
}


def test_profile_changes_and_an_email_taken_by_another_account_is_refused() -> None:
    User.objects.create_user("other", "other@example.com", "pw")
    client, customer = signed_in()
    profile = {"email": "ann.lee@example.com", "first_name": "Ann", "last_name": "Lee", "phone": "+49 1"}
    refused = client.post("/account/", profile)  # a new address needs the password
    assert refused.status_code == 200 and b"Enter your current password" in refused.content
    assert client.post("/account/", profile | {"current_password": "wrong"}).status_code == 200
    profile["current_password"] = "pw"
    assert client.post("/account/", profile).status_code == 302
    customer.refresh_from_db()
    customer.user.refresh_from_db()
    assert (customer.user.email, customer.user.get_full_name(), customer.phone) == (
        "ann.lee@example.com",
        "Ann Lee",
        "+49 1",
    )
    assert sign_in("ann.lee@example.com", "pw") == 302
    assert client.post("/account/", profile | {"phone": "+49 2", "current_password": ""}).status_code == 302
    taken = client.post("/account/", profile | {"email": "OTHER@example.com"})
    assert taken.status_code == 200 and b"already exists" in taken.content


def test_the_address_book_keeps_exactly_one_default_and_only_shows_your_own() -> None:
    client, customer = signed_in()
    assert client.post("/account/addresses/new/", ADDRESS).status_code == 302
    first = customer.addresses.get()
    assert first.is_default  # the first address is the default
    client.post("/account/addresses/new/", ADDRESS | {"line1": "2 Oak St", "is_default": "on"})
    second = customer.addresses.get(line1="2 Oak St")
    assert list(customer.addresses.values_list("line1", "is_default")) == [("2 Oak St", True), ("1 Elm St", False)]
    client.post(f"/account/addresses/{first.pk}/", ADDRESS | {"city": "Hamburg"})
    first.refresh_from_db()
    assert (first.city, first.is_default) == ("Hamburg", False)
    client.post(f"/account/addresses/{second.pk}/delete/")
    assert list(customer.addresses.values_list("line1", "is_default")) == [("1 Elm St", True)]
    page = client.get("/account/").content.decode()
    assert "1 Elm St" in page and "Default shipping address" in page

    stranger, _ = signed_in("eve@example.com")
    assert stranger.get(f"/account/addresses/{first.pk}/").status_code == 404
    assert stranger.post(f"/account/addresses/{first.pk}/delete/").status_code == 404
    assert Address.objects.filter(pk=first.pk).exists()
    assert Client().get("/account/").status_code == 302  # sign in first
