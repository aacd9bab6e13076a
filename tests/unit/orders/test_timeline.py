"""The timeline's words (orders/timeline.py): every event type the order workflow writes reads as a sentence."""

from __future__ import annotations

from orders.timeline import EVENT_LABELS, actor_label, event_label


def test_the_events_of_shipping_and_undoing_read_as_sentences() -> None:
    # The types OrderWorkflow (v1) writes beyond placement; a type without a label would read "Stock fulfilled".
    for event_type in ("stock_fulfilled", "delivery_event", "payment_refunded", "stock_restocked", "sla_breached"):
        assert event_type in EVENT_LABELS
    assert event_label("stock_fulfilled") == "Items taken from stock for shipping"
    assert event_label("delivery_event") == "Carrier update"


def test_actors_read_as_people() -> None:
    assert actor_label("staff:ada") == "Staff: ada"
    assert actor_label("partner:Demo Marketplace") == "Partner: Demo Marketplace"
    assert actor_label("customer:12") == "Customer #12"
    assert actor_label("guest") == "Guest customer"
    assert actor_label("system") == "System (order workflow)"
    assert event_label("something_new") == "Something new"
