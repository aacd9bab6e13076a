"""The storefront's return pages for a signed-in customer (real workers, PostgreSQL): the order page offers "Return
items" while something can be returned, the request becomes a return, its page lets the customer cancel it."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from carts.services import customer_for_user
from orders import services as order_services
from returns.models import Return
from tests.integration.orders.helpers import order_arguments, order_body, seed_sku, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def test_customer_requests_a_return_from_the_order_page_and_cancels_it(live_oms) -> None:
    seed_sku("PG-RET-1", on_hand=5)
    user = get_user_model().objects.create_user(username="ret-pages", email="ret@example.com", password="x")
    customer = customer_for_user(user=user)
    order = order_services.order_place(
        customer=customer,
        channel="web",
        **order_arguments(order_body("PG-RET-1", quantity=2)),
        idempotency_key=f"pages-{uuid.uuid4().hex}",
        actor=f"customer:{customer.pk}",
    )
    wait_for(order.number, {"confirmed"})
    client = Client()
    client.force_login(user)
    page = f"/account/orders/{order.number}/"
    assert b'id="return-items"' not in client.get(page).content  # not delivered yet: nothing to return
    assert client.get(f"{page}returns/new/").status_code == 302

    order_services.order_ship(number=order.number, carrier="DHL", tracking_number="T1", actor="test")
    order_services.order_record_delivery_event(
        number=order.number, event_id="d1", status="delivered", occurred_at=timezone.now().isoformat(), actor="test"
    )
    wait_for(order.number, {"delivered"})
    assert b'id="return-items"' in client.get(page).content

    form = client.get(f"{page}returns/new/").context["form"]
    empty = client.post(f"{page}returns/new/", {"key": form.initial["key"], "reason": "other", "quantity_PG-RET-1": 0})
    assert "Choose at least one item to return." in empty.content.decode()
    response = client.post(
        f"{page}returns/new/", {"key": form.initial["key"], "reason": "wrong_item", "quantity_PG-RET-1": 1}
    )
    ret = Return.objects.get(order=order)
    assert response.status_code == 302 and response["Location"] == f"{page}returns/{ret.pk}/"
    assert (ret.status, ret.requested_by, ret.lines.get().quantity) == ("requested", f"customer:{customer.pk}", 1)
    detail = client.get(response["Location"])
    assert b'id="return-status">requested' in detail.content and b'id="cancel-return"' in detail.content

    assert client.post(f"{page}returns/{ret.pk}/cancel/").status_code == 302
    ret.refresh_from_db()
    assert ret.status == "cancelled"
    assert b'id="cancel-return"' not in client.get(f"{page}returns/{ret.pk}/").content
    # Another customer cannot see it.
    other = Client()
    other.force_login(get_user_model().objects.create_user(username="other", email="o@example.com", password="x"))
    assert other.get(f"{page}returns/{ret.pk}/").status_code == 404
