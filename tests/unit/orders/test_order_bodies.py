"""``order_bodies`` (hand-built, used by lists, details and webhooks) must render exactly what ``OrderSerializer``
renders: same keys in the same order, same values, same bytes once through DRF's JSON renderer."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from rest_framework.renderers import JSONRenderer

from orders import services
from orders.api.serializers import OrderSerializer
from orders.bodies import order_bodies
from orders.contracts import ApplyInput, EventInput
from orders.models import Order
from partners.models import Partner
from tests.integration.orders.helpers import order_body, seed_sku
from webhooks.models import WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db

# A delivery period must lie within the coming year (API.md); the odd offsets and fractions are the point here.
SOON = (date.today() + timedelta(days=30)).isoformat()


def _place(sku: str, key: str, partner: Partner, **overrides: Any) -> str:
    body = order_body(sku)
    inp = services.order_prepare(
        partner=partner,
        channel="api",
        lines=[{"sku": sku, "quantity": 3}, *overrides.pop("more_lines", [])],
        contact=body["customer"],
        shipping_address=body["shipping_address"],
        delivery=overrides.pop("delivery", None),
        payment=body["payment"],
        external_ref=overrides.pop("external_ref", ""),
        idempotency_key=key,
        actor="partner:test",
    )
    services.order_record(inp=inp)
    return inp.number


def _apply(number: str, key: str, **changes: Any) -> None:
    events = changes.pop("events", [EventInput("confirmed", {})])
    services.order_apply(
        inp=ApplyInput(
            number=number, idempotency_key=key, actor="t", at="2026-01-02T03:04:05.678+02:00", events=events, **changes
        )
    )


def test_hand_built_bodies_equal_the_serializer_byte_for_byte() -> None:
    seed_sku("EUR-1", 100)
    seed_sku("EUR-2", 100, price="0.10")
    seed_sku("JPY-1", 100, price="1500", currency="JPY")
    partner = Partner.objects.create(name="bodies")
    plain = _place("EUR-1", "plain", partner)
    rich = _place(
        "EUR-1",
        "rich",
        partner,
        more_lines=[{"sku": "EUR-2", "quantity": 7}],
        external_ref="ref-ü-1",
        delivery={
            "priority": "urgent",
            "period_start": f"{SOON}T08:00:00+02:00",
            "period_end": f"{SOON}T12:30:00.250000+00:00",
        },
    )
    _apply(
        rich,
        "rich:confirm",
        status="confirmed",
        payment_status="authorized",
        delivery_reference="D-1",
        events=[
            EventInput("stock_reserved", {"allocations": [{"sku": "EUR-1", "quantity": 3}]}, at="2026-01-01T00:00:00Z"),
            EventInput("confirmed", {"note": "Z\u00fcrich \u2013 \u201cquoted\u201d", "n": 1.5, "none": None}),
        ],
    )
    _apply(rich, "rich:sla", sla_breached_status="confirmed", events=[EventInput("sla_breached", {"hours": 48.0})])
    _apply(
        rich,
        "rich:ship",
        status="shipped",
        payment_status="captured",
        tracking={"carrier": "DHL", "tracking_number": "T-1"},
        events=[EventInput("shipped", {})],
    )
    yen = _place("JPY-1", "yen", partner)
    _apply(yen, "yen:fail", status="failed", failure_reason="insufficient_stock", events=[EventInput("failed", {})])

    orders = list(Order.objects.filter(number__in=[plain, rich, yen]).order_by("created_at"))
    expected = [OrderSerializer(order).data for order in orders]
    built = order_bodies(orders)

    assert built == expected
    assert [list(body) for body in built] == [list(body) for body in expected]  # key order too
    renderer = JSONRenderer()
    assert renderer.render(built) == renderer.render(expected)
    assert {body["number"] for body in built} == {plain, rich, yen}
    assert built[1]["tracking"] == {"carrier": "DHL", "tracking_number": "T-1"} and built[1]["sla_breached"] is False
    assert built[2]["total"] == "4500"  # JPY: no minor digits


def test_an_order_without_lines_or_events_renders_empty_lists() -> None:
    seed_sku("EUR-9", 10)
    number = _place("EUR-9", "bare", Partner.objects.create(name="bare"))
    order = Order.objects.get(number=number)
    order.lines.all().delete()
    order.events.all().delete()
    [body] = order_bodies([order])
    assert body == OrderSerializer(order).data
    assert body["lines"] == [] and body["events"] == []


def test_webhook_events_carry_the_body_of_their_transition() -> None:
    """The order's writes record their webhook events (ADR 0043) with the body rendered from the row they just
    wrote: it must equal the API body read back from the database at that moment."""
    seed_sku("EUR-W", 10)
    partner = Partner.objects.create(name="hooks")
    # Events are stored only for a subscriber (issue #19); its deliveries are recorded, not sent, by these writes.
    WebhookEndpoint.objects.create(
        partner=partner, url="https://hooks.example/in", events=["order.created", "order.confirmed"], secret="s"
    )
    number = _place(
        "EUR-W",
        "hooks",
        partner,
        delivery={"priority": "normal", "period_start": f"{SOON}T08:00:00.5+02:00", "period_end": None},
    )
    created_body = order_bodies([Order.objects.get(number=number)])[0]
    _apply(
        number,
        "hooks:confirm",
        status="confirmed",
        payment_status="authorized",
        delivery_reference="D-9",
        events=[EventInput("confirmed", {})],
        publish=["order.confirmed"],
    )
    confirmed_body = order_bodies([Order.objects.get(number=number)])[0]

    events = {event.type: event for event in WebhookEvent.objects.filter(partner=partner)}
    assert set(events) == {"order.created", "order.confirmed"}
    assert events["order.created"].data == created_body and created_body["status"] == "created"
    assert events["order.confirmed"].data == confirmed_body and confirmed_body["status"] == "confirmed"
    assert [e["type"] for e in confirmed_body["events"]] == ["created", "confirmed"]
