"""Shipment, delivery events and delivery changes end to end: partner API -> dev server -> workers -> PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from oms_project import temporal
from orders.contracts import OrderProgress, order_workflow_id
from orders.workflows import OrderWorkflow
from payments.selectors import payment_get, sandbox_ledger_summary
from tests.integration.orders.helpers import (
    api_client,
    ledger_matches_levels,
    order_body,
    post_order,
    seed_sku,
    stock,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def confirmed_order(client: Client, sku: str, key: str, quantity: int = 2, **extra: Any) -> str:
    response = post_order(client, order_body(sku, quantity=quantity, **extra), key=key)
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assert wait_for(number).status == "confirmed"
    return number


def ship(client: Client, number: str, **body: str) -> Any:
    body = body or {"carrier": "DHL", "tracking_number": "JD0001"}
    return client.post(f"/api/v1/orders/{number}/ship/", body, content_type="application/json")


def event(client: Client, number: str, event_id: str, status: str, minutes_ago: int = 0) -> Any:
    occurred = (timezone.now() - timedelta(minutes=minutes_ago)).isoformat()
    return client.post(
        f"/api/v1/orders/{number}/delivery-events/",
        {"event_id": event_id, "status": status, "occurred_at": occurred},
        content_type="application/json",
    )


def event_types(body: dict[str, Any]) -> list[str]:
    return [e["type"] for e in body["events"]]


def test_full_lifecycle_to_delivered_captures_once(live_oms) -> None:
    seed_sku("FUL-1", on_hand=5)
    shop, carrier = api_client("shop"), api_client("logistics", scopes=("fulfilment",))
    number = confirmed_order(shop, "FUL-1", "ful-1")

    response = ship(carrier, number)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["payment_status"]) == ("shipped", "captured")
    assert body["tracking"] == {"carrier": "DHL", "tracking_number": "JD0001"}
    assert event_types(body)[-3:] == ["payment_captured", "stock_fulfilled", "shipped"]
    assert body["events"][-1]["actor"] == "partner:logistics"
    assert stock("FUL-1") == (3, 0)  # taken off the shelf: on_hand down, nothing allocated any more
    assert ship(carrier, number).json()["code"] == "not_shippable"  # shipping twice

    assert event(carrier, number, "e1", "accepted", 30).status_code == 200
    assert event(carrier, number, "e3", "in_transit", 10).json()["delivery_status"] == "in_transit"
    # Out of order: 'assigned' arrives after 'in_transit' -> recorded, never moves the status back.
    late = event(carrier, number, "e2", "assigned", 20)
    assert late.status_code == 200 and late.json()["delivery_status"] == "in_transit"
    assert late.json()["events"][-1]["data"]["applied"] is False
    # A repeated event id is accepted and ignored: no new timeline entry, nothing changes.
    before = len(late.json()["events"])
    again = event(carrier, number, "e3", "in_transit", 10)
    assert again.status_code == 200 and len(again.json()["events"]) == before

    done = event(carrier, number, "e4", "delivered")
    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["status"], body["delivery_status"], body["payment_status"]) == ("delivered", "delivered", "captured")
    assert event_types(body)[-2:] == ["delivery_event", "delivered"]
    # After completion: late or repeated events are accepted and change nothing.
    assert event(carrier, number, "e5", "in_transit").json()["status"] == "delivered"
    assert event(carrier, number, "e4", "delivered").status_code == 200

    summary = sandbox_ledger_summary(order_numbers=[number])
    assert summary.captures[number] == 1 and summary.charged_twice == []
    assert number not in summary.open_authorizations
    assert payment_get(order_number=number).status == "captured"
    assert ledger_matches_levels("FUL-1")
    progress = temporal.query(order_workflow_id(number), OrderWorkflow.progress, result_type=OrderProgress)
    assert (progress.status, progress.step) == ("delivered", "delivered")


def test_not_delivered_refunds_restocks_and_cancels(live_oms) -> None:
    seed_sku("FUL-2", on_hand=5)
    shop, carrier = api_client("shop"), api_client("logistics", scopes=("fulfilment",))
    number = confirmed_order(shop, "FUL-2", "ful-2", quantity=3)
    assert ship(carrier, number).json()["status"] == "shipped"
    assert stock("FUL-2") == (2, 0)
    assert event(carrier, number, "n1", "in_transit").status_code == 200

    response = event(carrier, number, "n2", "not_delivered")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["cancel_reason"], body["payment_status"], body["delivery_status"]) == (
        "cancelled",
        "delivery_failed",
        "refunded",
        "not_delivered",
    )
    assert event_types(body)[-3:] == ["stock_restocked", "payment_refunded", "cancelled"]
    assert stock("FUL-2") == (5, 0)  # back on the shelf it left from
    assert ledger_matches_levels("FUL-2")
    summary = sandbox_ledger_summary(order_numbers=[number])
    assert (summary.captures[number], summary.refunds[number]) == (1, 1)
    # A 'delivered' that arrives after the failure changes nothing.
    assert event(carrier, number, "n3", "delivered").json()["status"] == "cancelled"


def test_delivery_events_before_shipment_and_ship_refusals(live_oms) -> None:
    seed_sku("FUL-3", on_hand=5)
    shop, carrier = api_client("shop"), api_client("logistics", scopes=("fulfilment",))
    number = confirmed_order(shop, "FUL-3", "ful-3", quantity=1)

    assert event(carrier, number, "b1", "accepted").json()["delivery_status"] == "accepted"
    early = event(carrier, number, "b2", "in_transit")
    assert (early.status_code, early.json()["code"]) == (409, "delivery_event_not_allowed")
    bad = event(carrier, number, "b3", "lost")
    assert (bad.status_code, bad.json()["field"]) == (400, "status")
    assert ship(carrier, number, carrier="", tracking_number="X").status_code == 400

    cancelled = shop.post(
        f"/api/v1/orders/{number}/cancel/", {"reason": "changed mind"}, content_type="application/json"
    )
    assert cancelled.json()["status"] == "cancelled"
    refused = ship(carrier, number)
    assert (refused.status_code, refused.json()["code"]) == (409, "not_shippable")
    assert event(carrier, number, "b4", "assigned").status_code == 409

    declined = post_order(shop, order_body("FUL-3", token="pm_card_declined"), key="ful-3-declined").json()["number"]
    assert wait_for(declined).status == "failed"
    assert ship(carrier, declined).json()["code"] == "not_shippable"
    assert ship(carrier, "O-NOSUCHORDER").status_code == 404


def test_delivery_info_changes_until_shipment(live_oms) -> None:
    seed_sku("FUL-4", on_hand=5)
    shop, carrier = api_client("shop"), api_client("logistics", scopes=("fulfilment",))
    number = confirmed_order(shop, "FUL-4", "ful-4", quantity=1)
    url = f"/api/v1/orders/{number}/delivery/"
    start = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    address = {"name": "Ada L.", "line1": "2 New St", "city": "Hamburg", "postal_code": "20095", "country": "DE"}

    def patch(body: dict[str, Any], client: Client = shop) -> Any:
        return client.patch(url, body, content_type="application/json")

    response = patch(
        {
            "shipping_address": address,
            "delivery": {"period_start": start.isoformat(), "period_end": (start + timedelta(hours=4)).isoformat()},
        }
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["shipping_address"]["city"] == "Hamburg" and body["shipping_address"]["line1"] == "2 New St"
    assert body["delivery"]["period_start"] is not None
    change = body["events"][-1]
    assert change["type"] == "delivery_changed" and change["actor"] == "partner:shop"
    assert change["data"]["changed"]["ship_city"] == {"from": "Berlin", "to": "Hamburg"}

    past = (timezone.now() - timedelta(hours=1)).isoformat()
    for bad, field in (
        ({"delivery": {"period_start": past}}, "delivery.period_start"),
        ({"delivery": {"period_end": start.isoformat()}}, "delivery.period_end"),  # not after the start
        ({"delivery": {"priority": "yesterday"}}, "delivery.priority"),
        ({"shipping_address": {**address, "country": "Germany"}}, "shipping_address.country"),
        ({"shipping_address": {**address, "city": ""}}, "shipping_address.city"),
        ({"status": "delivered"}, "status"),
        ({}, "shipping_address"),
    ):
        response = patch(bad)
        assert response.status_code == 400, (bad, response.content)
        assert response.json()["field"] == field, (bad, response.json())

    other = api_client("other-shop")
    assert patch({"shipping_address": address}, client=other).status_code == 404
    assert patch({"shipping_address": address}, client=carrier).status_code == 403

    assert ship(carrier, number).json()["status"] == "shipped"
    late = patch({"shipping_address": {**address, "city": "Bremen"}})
    assert (late.status_code, late.json()["code"]) == (409, "delivery_not_changeable")


def test_delivery_change_and_events_bound_every_timestamp(live_oms) -> None:
    """The PATCH path once stored year 10000 (500, then every read of the order failed): each value is now a 400
    naming its field before anything reaches the workflow, and every read keeps working."""
    seed_sku("FUL-9", on_hand=5)
    shop, carrier = api_client("shop"), api_client("logistics", scopes=("fulfilment",))
    number = confirmed_order(shop, "FUL-9", "ful-9", quantity=1)
    url = f"/api/v1/orders/{number}/delivery/"
    in_a_week = (timezone.now() + timedelta(days=7)).isoformat()
    for delivery, field in (
        ({"period_end": "9999-12-31T23:59:59-14:00"}, "delivery.period_end"),
        ({"period_start": (timezone.now() + timedelta(days=400)).isoformat()}, "delivery.period_start"),
        ({"period_start": 5}, "delivery.period_start"),
        ({"period_start": True}, "delivery.period_start"),
        ({"period_end": [1]}, "delivery.period_end"),
        ({"period_end": {}}, "delivery.period_end"),
        ({"period_start": "2030-05-01T08:00:00"}, "delivery.period_start"),  # no offset
        ({"window": in_a_week}, "delivery.window"),
    ):
        response = shop.patch(url, {"delivery": delivery}, content_type="application/json")
        assert response.status_code == 400, (delivery, response.content)
        assert response.json()["field"] == field, (delivery, response.json())
    for bad in (5, "5", ["x"]):
        response = shop.patch(url, {"shipping_address": bad}, content_type="application/json")
        assert response.status_code == 400 and response.json()["field"].startswith("shipping_address"), bad
    late = carrier.post(
        f"/api/v1/orders/{number}/delivery-events/",
        {"event_id": "e-far", "status": "accepted", "occurred_at": "9999-12-31T23:59:59-14:00"},
        content_type="application/json",
    )
    assert (late.status_code, late.json()["field"]) == (400, "occurred_at")
    assert shop.get(f"/api/v1/orders/{number}/").json()["delivery"]["period_end"] is None
    assert shop.get("/api/v1/orders/").status_code == carrier.get("/api/v1/orders/").status_code == 200
    assert shop.patch(url, {"delivery": {"period_end": in_a_week}}, content_type="application/json").status_code == 200


def test_scopes(live_oms) -> None:
    seed_sku("FUL-5", on_hand=5)
    shop, carrier = api_client("shop"), api_client("logistics", scopes=("fulfilment",))
    number = confirmed_order(shop, "FUL-5", "ful-5", quantity=1)

    assert ship(shop, number).status_code == 403
    assert event(shop, number, "s1", "accepted").status_code == 403
    assert post_order(carrier, order_body("FUL-5"), key="ful-5-carrier").status_code == 403
    cancel = carrier.post(f"/api/v1/orders/{number}/cancel/", {"reason": "x"}, content_type="application/json")
    assert cancel.status_code == 403
    assert Client().post(f"/api/v1/orders/{number}/ship/", {}, content_type="application/json").status_code == 401
    assert carrier.get(f"/api/v1/orders/{number}/").json()["sla_breached"] is False
