"""The customer cart: session-bound guest cart, one cart per customer, merge at login, plain-form pages."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from carts.models import Cart
from catalog.models import Variant
from oms_project import temporal
from tests.integration.carts.seed import seed_variant
from tests.temporal_env import RunningWorkers, settings_override

pytestmark = pytest.mark.integration


def _add(client: Client, sku: str, quantity: int = 1):  # type: ignore[no-untyped-def]
    return client.post("/cart/add/", {"sku": sku, "quantity": quantity}, follow=True)


def _cart_lines(client: Client) -> dict[str, int]:
    view = client.get("/cart/").context["cart"]
    return {line.sku: line.quantity for line in view.lines} if view else {}


@pytest.fixture
def shopper(live_oms):  # type: ignore[no-untyped-def]
    return get_user_model().objects.create_user("ann", "ann@example.com", "correct horse battery")


def test_product_page_adds_to_the_guest_cart_and_the_cart_page_edits_it(skus) -> None:  # type: ignore[no-untyped-def]
    guest = Client()
    variant = Variant.objects.get(sku="TEE-S")
    listing = guest.get("/")
    assert listing.status_code == 200 and f'href="/products/{variant.product_id}/"'.encode() in listing.content
    assert b"Product OLD" not in listing.content  # inactive variants are not sold
    page = guest.get(f"/products/{variant.product_id}/")
    assert page.status_code == 200 and b"TEE-S" in page.content and b"12.50" in page.content
    assert b"100 in stock" in page.content
    response = guest.post("/cart/add/", {"sku": "TEE-S", "quantity": 2, "next": f"/products/{variant.product_id}/"})
    assert response.status_code == 302 and response["Location"] == f"/products/{variant.product_id}/"
    _add(guest, "MUG", 1)
    page = guest.get("/cart/")
    assert b"Product TEE-S - Variant TEE-S" in page.content and b"32.99" in page.content
    guest.post("/cart/lines/TEE-S/", {"quantity": 4})
    guest.post("/cart/lines/MUG/remove/")
    assert _cart_lines(guest) == {"TEE-S": 4}
    # Errors are shown, never a 500: out of stock, unknown product, bad quantity.
    for sku, quantity, text in (
        ("MUG", 9, b"Only 5 of MUG available"),
        ("NOPE", 1, b"no product"),
        ("MUG", 0, b"1 to 999"),
    ):
        page = _add(guest, sku, quantity)
        assert page.status_code == 200 and text in page.content, page.content
    page = guest.post("/cart/add/", {"sku": "MUG", "quantity": "lots"}, follow=True)
    assert b"whole number" in page.content
    guest.post("/cart/clear/")
    assert _cart_lines(guest) == {}
    # Another visitor has another cart.
    assert _cart_lines(Client()) == {}


def test_guest_cart_merges_into_the_customer_cart_at_login(skus, shopper) -> None:  # type: ignore[no-untyped-def]
    laptop = Client()
    laptop.force_login(shopper)
    _add(laptop, "TEE-S", 1)
    _add(laptop, "MUG", 4)
    laptop.post("/logout/")

    phone = Client()  # a guest on another device
    _add(phone, "TEE-S", 2)
    _add(phone, "MUG", 3)  # 4 + 3 > 5 in stock: capped at what is available
    guest_cart = Cart.objects.get(session_key__gt="", status="open")
    response = phone.post("/login/", {"username": "ann", "password": "correct horse battery"})
    assert response.status_code == 302
    assert _cart_lines(phone) == {"TEE-S": 3, "MUG": 5}
    guest_cart.refresh_from_db()
    assert guest_cart.status == Cart.Status.MERGED
    assert Cart.objects.filter(customer__user=shopper, status="open").count() == 1

    laptop.force_login(shopper)  # the same one cart on every device
    assert _cart_lines(laptop) == {"TEE-S": 3, "MUG": 5}
    phone.post("/logout/")
    assert _cart_lines(phone) == {}  # signed out: a fresh guest


def test_login_without_a_guest_cart_and_failed_login_do_not_touch_carts(skus, shopper) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    page = client.post("/login/", {"username": "ann", "password": "wrong"})
    assert page.status_code == 200 and b'role="alert"' in page.content
    assert client.post("/login/", {"username": "ann", "password": "correct horse battery"}).status_code == 302
    assert _cart_lines(client) == {}


def test_closed_guest_cart_is_replaced_and_the_visitor_told(skus) -> None:  # type: ignore[no-untyped-def]
    from carts.services import cart_checkout_close

    guest = Client()
    _add(guest, "TEE-S", 1)
    cart = Cart.objects.get(session_key__gt="", status="open")
    cart_checkout_close(cart_id=cart.cart_id, idempotency_key="k")
    page = _add(guest, "MUG", 1)
    assert b"was checked out" in page.content
    assert _cart_lines(guest) == {"MUG": 1}


def test_htmx_requests_get_the_cart_panel_only(skus) -> None:  # type: ignore[no-untyped-def]
    guest = Client()
    _add(guest, "TEE-S", 1)
    panel = guest.post("/cart/lines/TEE-S/", {"quantity": 3}, HTTP_HX_REQUEST="true")
    assert panel.status_code == 200
    html = panel.content.decode()
    assert "<html" not in html and 'id="cart-panel"' in html
    assert 'value="3"' in html and "37.50" in html and "Your cart was updated." in html
    panel = guest.post("/cart/lines/TEE-S/", {"quantity": 1000}, HTTP_HX_REQUEST="true")
    assert "Quantity must be a whole number from 0 to 999." in panel.content.decode()
    assert _cart_lines(guest) == {"TEE-S": 3}


def test_cart_page_is_served_from_the_database_without_the_cart_workflow(  # type: ignore[no-untyped-def]
    skus, temporal_loop, temporal_server, django_assert_num_queries
) -> None:
    for index in range(3):
        seed_variant(f"PG-{index}", price="2.00", on_hand=20)
    suffix = uuid.uuid4().hex[:8]
    queues = {"cart": f"carts-page-{suffix}", "order": f"orders-page-{suffix}"}
    workers = RunningWorkers(temporal_loop, temporal_loop.run(temporal.connect(temporal_server)), task_queues=queues)
    guest = Client()
    try:
        with settings_override(CART_TASK_QUEUE=queues["cart"]):
            for sku in ("TEE-S", "MUG", "PG-0", "PG-1", "PG-2"):
                assert _add(guest, sku, 2).status_code == 200
            guest.post("/cart/lines/MUG/", {"quantity": 1})  # the latest mutation is what the page shows
            # No worker polls the cart's queue any more: a workflow query could not be answered.
            workers.stop()
            with django_assert_num_queries(5):  # session, cart row, pictures (2), the header's cart badge
                page = guest.get("/cart/")
    finally:
        workers.stop()
    assert page.status_code == 200
    view = page.context["cart"]
    assert {line.sku: line.quantity for line in view.lines} == {"TEE-S": 2, "MUG": 1, "PG-0": 2, "PG-1": 2, "PG-2": 2}
    assert view.subtotal == "44.99" and b"44.99" in page.content  # 25.00 + 7.99 + 3 x 4.00
