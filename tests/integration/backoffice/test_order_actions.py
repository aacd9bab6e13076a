"""Admin actions reach the order workflow and the read model changes (dev server + workers + PostgreSQL)."""

from __future__ import annotations

import time

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from backoffice.permissions import MANAGER, SUPPORT, WAREHOUSE
from orders.models import Order
from tests.integration.backoffice.helpers import place_confirmed_order, staff_client
from tests.integration.orders.helpers import stock

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def _messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_support_cancels_from_the_list_with_a_reason_after_confirming(live_oms) -> None:
    number = place_confirmed_order("BO-CANCEL-1")
    order = Order.objects.get(number=number)
    client, _ = staff_client(SUPPORT)
    changelist = reverse("admin:orders_order_changelist")
    selected = {"action": "cancel_orders", "_selected_action": [order.pk]}

    confirm = client.post(changelist, selected)
    assert confirm.status_code == 200 and b"Yes, cancel order" in confirm.content
    order.refresh_from_db()
    assert order.status == "confirmed"  # nothing happens before the confirmation

    missing_reason = client.post(changelist, {**selected, "apply": "1", "reason": "  "})
    assert missing_reason.status_code == 200 and b"This field is required" in missing_reason.content

    done = client.post(changelist, {**selected, "apply": "1", "reason": "customer called"}, follow=True)
    assert done.status_code == 200
    order.refresh_from_db()
    assert (order.status, order.payment_status, order.cancel_reason) == ("cancelled", "voided", "customer called")
    assert stock("BO-CANCEL-1") == (5, 0)
    event = order.events.get(type="cancel_requested")
    assert event.actor.startswith("staff:support-")
    assert any(f"{number} is cancelled" in m for m in _messages(done))

    # a second cancel answers the order as it is (API.md "Long-running actions"): a message, never a 500
    again = client.post(changelist, {**selected, "apply": "1", "reason": "again"}, follow=True)
    assert again.status_code == 200
    assert any(f"{number} is cancelled" in m for m in _messages(again))
    order.refresh_from_db()
    assert order.cancel_reason == "customer called" and order.events.filter(type="cancel_requested").count() == 1


def test_detail_shows_live_workflow_state_then_the_closed_read_model(live_oms) -> None:
    number = place_confirmed_order("BO-LIVE-1")
    order = Order.objects.get(number=number)
    client, _ = staff_client(MANAGER)
    url = reverse("admin:orders_order_change", args=[order.pk])

    page = client.get(url).content.decode()
    assert '<td id="live-step">awaiting_shipment</td>' in page
    assert "request_delivery, authorize_payment, reserve_stock" in page  # pending compensations, newest first
    assert f"/workflows/order-{number}" in page

    button = reverse("admin:orders_order_act", args=[order.pk, "cancel"])
    assert button in page
    assert client.get(button).status_code == 200  # the confirmation page
    response = client.post(button, {"apply": "1", "reason": "duplicate order"}, follow=True)
    assert response.redirect_chain[-1][0] == url
    order.refresh_from_db()
    assert order.status == "cancelled"

    for _ in range(50):  # the run ends just after the cancel update returns
        page = client.get(url).content.decode()
        if "The workflow is closed" in page:
            break
        time.sleep(0.2)
    assert "The workflow is closed (completed)" in page and "final read model" in page


def test_dashboard_shows_pollers_of_both_task_queues(live_oms) -> None:
    client, _ = staff_client(MANAGER)
    response = client.get(reverse("admin:orders_order_dashboard"))
    report = response.context["queues"]
    assert report.error == ""
    by_key = {(q.queue, q.kind): q for q in report.queues}
    from django.conf import settings

    for queue in (settings.CART_TASK_QUEUE, settings.ORDER_TASK_QUEUE):
        for kind in ("workflow", "activity"):
            assert by_key[(queue, kind)].pollers >= 1, (queue, kind)
            assert by_key[(queue, kind)].backlog is not None


def test_warehouse_ships_then_records_delivered_from_the_detail_page(live_oms) -> None:
    number = place_confirmed_order("BO-SHIP-1")
    order = Order.objects.get(number=number)
    client, _ = staff_client(WAREHOUSE)
    change = reverse("admin:orders_order_change", args=[order.pk])

    ship = reverse("admin:orders_order_act", args=[order.pk, "ship"])
    blank = client.post(ship, {"apply": "1", "carrier": "", "tracking_number": ""})
    assert blank.status_code == 200 and b"This field is required" in blank.content
    done = client.post(ship, {"apply": "1", "carrier": "DHL", "tracking_number": "JD0001"}, follow=True)
    assert done.redirect_chain[-1][0] == change
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("shipped", "captured")
    assert (order.tracking_carrier, order.tracking_number) == ("DHL", "JD0001")
    assert stock("BO-SHIP-1") == (4, 0)
    assert any(f"{number} is shipped" in m for m in _messages(done))

    # shipping twice: the service refuses, the page says so
    again = client.post(ship, {"apply": "1", "carrier": "DHL", "tracking_number": "JD0002"}, follow=True)
    assert any(number in m and "only confirmed or partially shipped orders ship" in m for m in _messages(again))

    event = reverse("admin:orders_order_act", args=[order.pk, "delivery_event"])
    form = client.get(event).context["form"]
    event_id = form.initial["event_id"]
    post = {"apply": "1", "status": "delivered", "occurred_at": "", "event_id": event_id}
    done = client.post(event, post, follow=True)
    order.refresh_from_db()
    assert (order.status, order.delivery_status) == ("delivered", "delivered")
    assert any("delivered recorded; order delivered" in m for m in _messages(done))
    assert order.events.filter(type="delivery_event").count() == 1
    # the same confirmation page submitted again (a double click): one event id, nothing new
    client.post(event, post, follow=True)
    assert order.events.filter(type="delivery_event").count() == 1
    assert order.events.filter(actor__startswith="staff:warehouse-").exists()


def test_delivery_event_before_shipment_is_refused_with_a_message(live_oms) -> None:
    number = place_confirmed_order("BO-EVT-1")
    order = Order.objects.get(number=number)
    client, _ = staff_client(WAREHOUSE)
    changelist = reverse("admin:orders_order_changelist")
    selected = {"action": "delivery_event_orders", "_selected_action": [order.pk]}
    confirm = client.post(changelist, selected)
    event_id = confirm.context["form"].initial["event_id"]
    done = client.post(
        changelist,
        {**selected, "apply": "1", "status": "in_transit", "occurred_at": "", "event_id": event_id},
        follow=True,
    )
    assert done.status_code == 200
    assert any(number in m and "not allowed" in m for m in _messages(done))
    order.refresh_from_db()
    assert (order.status, order.delivery_status) == ("confirmed", "none")
