"""What the storefront's order page says about money must be true at every moment (issue #13, edge 5)."""

from __future__ import annotations

import pytest
from django.test import Client

from orders.lookup import order_lookup_path
from orders.models import Order, OrderEvent
from orders.views import _event_labels
from tests.integration.orders.helpers import seed_sku, wait_for
from tests.integration.storefront.test_checkout_pages import _checkout_form

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def _place(client: Client, sku: str, card: str) -> tuple[Order, str]:
    data = _checkout_form(client, sku, 1) | {"card_token": card}
    placed = client.post("/checkout/", data)
    assert placed.status_code == 302
    order = Order.objects.get()
    return order, order_lookup_path(number=order.number)


def test_a_pending_order_is_not_thanked_for_and_a_declined_one_releases_nothing(live_oms, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SANDBOX_SLOW_SECONDS = 3  # the card answers late: the page is first shown while the order is pending
    seed_sku("MUG", on_hand=5)
    order, path = _place(Client(), "MUG", "pm_card_slow")
    pending = Client().get(f"{path}?placed=1")
    assert Order.objects.get().status == "created"  # still authorizing when the page was rendered
    assert b"We are placing your order" in pending.content
    assert b"Thank you for your order" not in pending.content and b"confirmation was sent" not in pending.content
    wait_for(order.number, {"confirmed"})
    # The pending page polls its status fragment, which carries the heading: it turns to "thank you" by itself.
    assert f'hx-get="{path}status/?placed=1"'.encode() in pending.content
    fragment = Client().get(f"{path}status/?placed=1")
    assert b"Thank you for your order" in fragment.content and b"hx-trigger" not in fragment.content


def test_a_declined_order_says_nothing_was_authorized_or_confirmed(live_oms) -> None:  # type: ignore[no-untyped-def]
    seed_sku("BOWL", on_hand=5)
    order, path = _place(Client(), "BOWL", "pm_card_declined")
    wait_for(order.number, {"failed"})
    # The order process records no release when the card was declined (nothing was authorized) ...
    assert not order.events.filter(type="payment_voided").exists()
    page = Client().get(f"{path}?placed=1")
    labels = [event.label for event in page.context["events"]]
    assert "Card authorization released" not in labels
    # ... and an order of the earlier process (OrderWorkflowV1), which did record one, reads as nothing taken.
    earlier = [OrderEvent(type=kind) for kind in ("created", "step_failed", "stock_released", "payment_voided")]
    _event_labels(earlier)
    assert earlier[-1].label == "No payment was taken"
    assert b"Thank you for your order" not in page.content and b"confirmation was sent" not in page.content
    assert b"We could not place your order" in page.content


def test_cancel_asks_for_confirmation_first_and_the_reason_ends_with_one_full_stop(live_oms) -> None:  # type: ignore[no-untyped-def]
    seed_sku("JUG", on_hand=5)
    order, path = _place(Client(), "JUG", "pm_card_ok")
    wait_for(order.number, {"confirmed"})
    visitor = Client()
    page = visitor.get(path)
    assert f'<form method="get" action="{path}cancel/"'.encode() in page.content  # the button only asks
    confirm = visitor.get(f"{path}cancel/")
    assert confirm.status_code == 200 and b"Yes, cancel this order" in confirm.content
    assert Order.objects.get().status == "confirmed"  # looking at the question changes nothing
    done = visitor.post(f"{path}cancel/", follow=True)
    assert b"is cancelled" in done.content and Order.objects.get().status == "cancelled"
    assert b"Cancelled by the customer.." not in done.content
    assert b"This order was cancelled: Cancelled by the customer. Any" in done.content
    # Once cancelled, the confirmation page sends the visitor back with a message.
    again = visitor.get(f"{path}cancel/", follow=True)
    assert b"can no longer be cancelled" in again.content
