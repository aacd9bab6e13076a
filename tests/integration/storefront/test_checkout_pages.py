"""Storefront checkout through plain form posts (no JavaScript): idempotent submit, form errors, guest link."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from catalog.models import StockLevel
from notifications.models import Email
from oms_project.models import IdempotencyRecord
from orders.lookup import order_lookup_path
from orders.models import Order
from tests.faults.processes import poll_until
from tests.integration.orders.helpers import seed_sku, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def _checkout_form(client: Client, sku: str, quantity: int) -> dict[str, Any]:
    assert client.post("/cart/add/", {"sku": sku, "quantity": quantity}).status_code == 302
    page = client.get("/checkout/")
    assert page.status_code == 200 and b"TEST MODE" in page.content
    form = page.context["form"]
    return {
        "cart_id": form.initial["cart_id"],
        "idempotency_key": form.initial["idempotency_key"],
        "email": "sam@example.com",
        "name": "Sam Doe",
        "line1": "Main St 1",
        "postal_code": "10115",
        "city": "Berlin",
        "country": "DE",
        "priority": "urgent",
        "card_token": "pm_card_ok",
    }


def test_a_double_submit_places_one_order_and_the_guest_gets_a_working_private_link(live_oms) -> None:  # type: ignore[no-untyped-def]
    seed_sku("LAMP", on_hand=10, price="20.00")
    guest = Client()
    data = _checkout_form(guest, "LAMP", 2)
    first = guest.post("/checkout/", data)
    second = guest.post("/checkout/", data)  # the same form again (double click, or a retry after a timeout)
    order = Order.objects.get()
    path = order_lookup_path(number=order.number)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"{path}?placed=1"
    # Another copy of the checkout form for the same (now closed) cart leads to the same order, too.
    stale = guest.post("/checkout/", data | {"idempotency_key": "another-tab"}, follow=True)
    assert stale.redirect_chain[-1][0] == path and b"already ordered" in stale.content
    assert order.channel == "web" and order.customer_id is None and order.delivery_priority == "urgent"
    assert str(order.total) == "49.90"  # 40.00 + express shipping 9.90
    assert order.contact_email == "sam@example.com" and order.ship_city == "Berlin"
    wait_for(order.number, {"confirmed"})
    # The confirmation e-mail (sent by the e-mail worker) carries the private link: one e-mail, however many submits.
    poll_until(lambda: Email.objects.filter(order=order, status="sent").exists(), timeout=60, what="the e-mail")
    (message,) = [message for message in mail.outbox if order.number in message.subject]
    assert message.to == ["sam@example.com"] and path in message.body and "is confirmed" in message.subject
    # Without JavaScript the page shows the settled status; the fragment stops polling at a final state.
    page = Client().get(path)
    assert page.status_code == 200 and b'data-status="confirmed"' in page.content
    assert b"hx-trigger" not in Client().get(f"{path}status/").content
    # The guest can cancel through the link; a second cancel answers the order as it is, never an error page.
    cancelled = Client().post(f"{path}cancel/", follow=True)
    assert b"is cancelled" in cancelled.content and Order.objects.get().status == "cancelled"
    again = Client().post(f"{path}cancel/", follow=True)
    assert again.status_code == 200 and b"is cancelled" in again.content
    assert Order.objects.get().events.filter(type="cancel_requested").count() == 1


def test_checkout_shows_out_of_stock_and_field_errors_and_keeps_the_cart(live_oms) -> None:  # type: ignore[no-untyped-def]
    seed_sku("VASE", on_hand=5)
    client = Client()
    data = _checkout_form(client, "VASE", 3)
    missing = client.post("/checkout/", data | {"email": "not-an-email", "city": ""})
    assert missing.status_code == 200 and missing.context["form"].errors.keys() == {"email", "city"}
    StockLevel.objects.filter(variant__sku="VASE").update(on_hand=1)  # sold elsewhere meanwhile
    short = client.post("/checkout/", data)
    assert short.status_code == 200 and b"Only 1 of VASE available" in short.content
    assert not Order.objects.exists()
    assert client.get("/cart/").context["cart"].lines[0].quantity == 3  # the cart is still open, unchanged


def test_the_checkout_form_key_goes_through_the_one_idempotency_mechanism(live_oms) -> None:  # type: ignore[no-untyped-def]
    seed_sku("PEN", on_hand=5)
    guest = Client()
    data = _checkout_form(guest, "PEN", 1)
    first = guest.post("/checkout/", data)
    record = IdempotencyRecord.objects.get()  # before: the storefront's hidden key left no record
    assert record.owner == f"session:{guest.session.session_key}" and record.key == data["idempotency_key"]
    assert record.scope == f"storefront.checkout:{data['cart_id']}" and record.state == "done"
    assert record.response_status == 302 and record.response_location == first["Location"]
    again = guest.post("/checkout/", data)  # replayed from the record
    assert again["Location"] == first["Location"] and IdempotencyRecord.objects.count() == 1
    assert Order.objects.count() == 1
