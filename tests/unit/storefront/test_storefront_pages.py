"""Storefront pages that need no Temporal: catalog search and filters, accounts, lookup links, access rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from carts.context_processors import SESSION_CART_COUNT_KEY
from carts.models import Cart
from carts.receivers import SESSION_CART_KEY
from catalog.models import Product, StockLevel, Variant, Warehouse
from customers.models import Customer
from orders.lookup import order_lookup_token, order_number_from_token

pytestmark = pytest.mark.django_db


def _product(name: str, category: str, price: str, on_hand: int) -> Product:
    product = Product.objects.create(name=name, slug=name.lower().replace(" ", "-"), category=category)
    variant = Variant.objects.create(
        product=product, sku=name.upper().replace(" ", "-"), name="One", price=Decimal(price), currency="EUR"
    )
    warehouse, _ = Warehouse.objects.get_or_create(code="main", defaults={"name": "Main"})
    StockLevel.objects.create(variant=variant, warehouse=warehouse, on_hand=on_hand)
    return product


@pytest.fixture
def catalog() -> None:
    _product("Red Mug", "Kitchen", "8.00", 5)
    _product("Blue Mug", "Kitchen", "12.00", 0)
    _product("Wool Hat", "Apparel", "25.00", 3)


def _names(client: Client, query: str) -> list[str]:
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    return [p.name for p in response.context["page"].object_list]


def test_catalog_search_and_filters(catalog: None) -> None:
    client = Client()
    assert _names(client, "") == ["Blue Mug", "Red Mug", "Wool Hat"]
    assert _names(client, "q=mug") == ["Blue Mug", "Red Mug"]
    assert _names(client, "category=Apparel") == ["Wool Hat"]
    assert _names(client, "q=mug&in_stock=on") == ["Red Mug"]
    assert _names(client, "min_price=10&max_price=20") == ["Blue Mug"]
    page = client.get("/?category=Kitchen")
    assert b"Out of stock" in page.content and b'<option value="Apparel">' in page.content


def test_catalog_refuses_bad_filters_with_a_message_not_an_error(catalog: None) -> None:
    response = Client().get("/?min_price=20&max_price=5")
    assert response.status_code == 200 and b"must not be below the minimum" in response.content
    response = Client().get("/?min_price=abc&page=99")
    assert response.status_code == 200 and b"Enter a number" in response.content


def test_catalog_paginates(catalog: None) -> None:
    for index in range(12):
        _product(f"Extra {index:02}", "Home", "1.00", 1)
    client = Client()
    first = client.get("/")
    assert len(first.context["page"].object_list) == 12 and b'rel="next"' in first.content
    second = client.get("/?page=2")
    assert [p.name for p in second.context["page"].object_list] == ["Extra 11", "Red Mug", "Wool Hat"]


def test_sign_up_by_email_creates_a_signed_in_customer_and_refuses_a_taken_email_in_any_case() -> None:
    client = Client()
    data = {
        "email": "lin@example.com",
        "first_name": "Lin",
        "last_name": "Chen",
        "password1": "a quite long passphrase",
        "password2": "a quite long passphrase",
    }
    response = client.post("/signup/", data)
    assert response.status_code == 302
    assert Customer.objects.get(user__email="lin@example.com").full_name == "Lin Chen"
    assert client.get("/account/orders/").status_code == 200
    again = Client().post("/signup/", data | {"email": "LIN@Example.com"})
    assert again.status_code == 200 and b"already exists" in again.content
    weak = Client().post("/signup/", data | {"email": "x@example.com", "password1": "123", "password2": "123"})
    assert weak.status_code == 200 and b"field-error" in weak.content
    differ = Client().post("/signup/", data | {"email": "y@example.com", "password2": "another passphrase"})
    assert differ.status_code == 200 and b"The two passwords differ." in differ.content


def test_password_reset_mails_a_working_link() -> None:
    get_user_model().objects.create_user("kim", "kim@example.com", "old password 123")
    client = Client()
    assert client.post("/password-reset/", {"email": "kim@example.com"}).status_code == 302
    (message,) = mail.outbox
    link = next(line for line in message.body.splitlines() if "/password-reset/" in line)
    path = link.split("testserver", 1)[1]
    form = client.get(path, follow=True)
    assert b"Choose a new password" in form.content and b"new_password1" in form.content
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "brand new secret 42", "new_password2": "brand new secret 42"}
    )
    assert done.status_code == 302
    assert client.login(username="kim", password="brand new secret 42")


def test_lookup_tokens_are_stable_and_refuse_tampering() -> None:
    token = order_lookup_token(number="O-ABCDEFGHIJKL")
    assert token == order_lookup_token(number="O-ABCDEFGHIJKL")
    assert order_number_from_token(token=token) == "O-ABCDEFGHIJKL"
    assert order_number_from_token(token=token.replace("O-ABCDEFGHIJKL", "O-ABCDEFGHIJKM")) is None
    assert order_number_from_token(token="garbage") is None
    assert Client().get(f"/order/{token}/").status_code == 404  # no such guest order


def test_order_pages_need_a_customer_and_forms_need_csrf() -> None:
    client = Client()
    assert client.get("/account/orders/").status_code == 302  # to the sign-in page
    assert client.get("/account/orders/O-ABCDEFGHIJKL/").status_code == 404
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/checkout/", {}).status_code == 403
    assert strict.post("/account/orders/O-ABCDEFGHIJKL/cancel/").status_code == 403
    assert Client().get("/checkout/").status_code == 302  # empty cart: back to the cart page


def test_catalog_sorts_by_price_name_and_newest_and_keeps_the_order_while_filtering(catalog: None) -> None:
    client = Client()
    assert _names(client, "sort=price") == ["Red Mug", "Blue Mug", "Wool Hat"]
    assert _names(client, "sort=-price") == ["Wool Hat", "Blue Mug", "Red Mug"]
    assert _names(client, "sort=newest") == ["Wool Hat", "Blue Mug", "Red Mug"]
    assert _names(client, "sort=name") == _names(client, "") == ["Blue Mug", "Red Mug", "Wool Hat"]
    assert _names(client, "sort=-price&category=Kitchen") == ["Blue Mug", "Red Mug"]
    page = client.get("/?sort=-price&category=Kitchen").content.decode()
    assert '<option value="-price" selected>' in page
    assert '<input type="hidden" name="sort" value="-price">' in page  # the filter form keeps the order
    assert '<input type="hidden" name="category" value="Kitchen">' in page  # the sort form keeps the filter
    assert Client().get("/?sort=nonsense").status_code == 200


def _guest_with_cart(status: str, count: int) -> Client:
    client = Client()
    client.get("/")  # a session
    session = client.session
    cart = Cart.objects.create(session_key=session.session_key, currency="EUR", status=status)
    session[SESSION_CART_KEY] = cart.cart_id
    session[SESSION_CART_COUNT_KEY] = [cart.cart_id, count]
    session.save()
    return client


def test_header_shows_the_item_count_of_an_open_cart_only() -> None:
    client = _guest_with_cart(Cart.Status.OPEN, 3)
    page = client.get("/").content.decode()
    assert '<span class="cart-count">3</span><span class="visually-hidden"> items in your cart</span>' in page
    Cart.objects.update(status=Cart.Status.CHECKED_OUT)
    assert 'class="cart-count"' not in client.get("/").content.decode()


def test_a_checked_out_cart_is_not_announced_on_the_next_visit_but_an_expired_one_is() -> None:
    ordered = _guest_with_cart(Cart.Status.CHECKED_OUT, 2)
    page = ordered.get("/cart/").content.decode()
    assert "Your cart is empty" in page and "previous cart" not in page
    assert SESSION_CART_KEY not in ordered.session
    expired = _guest_with_cart(Cart.Status.EXPIRED, 2)
    assert "Your previous cart expired after a period of inactivity." in expired.get("/cart/").content.decode()


def test_favicon_is_served_at_the_site_root() -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
