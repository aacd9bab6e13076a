"""Split shipments end to end (API.md "Shipments"): partner API -> dev server -> workers (each shipment a child
workflow of its order) -> PostgreSQL and the sandbox PSP's ledger."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from notifications.models import Email
from oms_project import temporal
from orders.contracts import OrderProgress, order_workflow_id, shipment_workflow_id
from orders.models import Order
from orders.workflows import OrderWorkflow
from payments.errors import RefundExceedsCaptured
from payments.models import Payment
from payments.selectors import sandbox_ledger_summary
from payments.services import payment_refund
from tests.integration.orders.helpers import (
    api_client,
    ledger_matches_levels,
    order_body,
    post_order,
    seed_sku,
    stock,
    subscribe_to_every_event,
    wait_for,
)
from webhooks.models import WebhookEvent

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

D = Decimal


def two_line_order(client: Client, key: str) -> dict[str, Any]:
    body = order_body("SPL-A", quantity=3)
    body["lines"].append({"sku": "SPL-B", "quantity": 1})
    response = post_order(client, body, key=key)
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assert wait_for(number).status == "confirmed"
    return client.get(f"/api/v1/orders/{number}/").json()


def shipment(client: Client, number: str, tracking: str, lines: list[dict[str, Any]] | None = None) -> Any:
    body: dict[str, Any] = {"carrier": "DHL", "tracking_number": tracking}
    if lines is not None:
        body["lines"] = lines
    return client.post(f"/api/v1/orders/{number}/shipments/", body, content_type="application/json")


def shipment_event(client: Client, number: str, seq: int, event_id: str, status: str) -> Any:
    return client.post(
        f"/api/v1/orders/{number}/shipments/{seq}/delivery-events/",
        {"event_id": event_id, "status": status, "occurred_at": (timezone.now() - timedelta(seconds=1)).isoformat()},
        content_type="application/json",
    )


def test_two_shipments_capture_the_total_to_the_cent_and_end_delivered(live_oms) -> None:
    seed_sku("SPL-A", on_hand=5, price="3.35")
    seed_sku("SPL-B", on_hand=5, price="7.10")
    shop, carrier = api_client("shop"), api_client("logistics", scopes=("fulfilment",))
    subscribe_to_every_event("shop")
    order = two_line_order(shop, "spl-1")
    number, total = order["number"], D(order["total"])

    # Refused shipments ship nothing: a sku not on the order, more than remains of a line.
    assert shipment(carrier, number, "T0", [{"sku": "NOPE", "quantity": 1}]).json()["code"] == "not_shippable"
    refused = shipment(carrier, number, "T0", [{"sku": "SPL-A", "quantity": 4}])
    assert (refused.status_code, refused.json()["code"]) == (409, "not_shippable")
    assert stock("SPL-A") == (5, 3)

    first = shipment(carrier, number, "T1", [{"sku": "SPL-A", "quantity": 1}])
    assert first.status_code == 201, first.content
    assert first.json()["id"] == 1 and first.json()["lines"] == [{"sku": "SPL-A", "quantity": 1}]
    # 1 of 3 units: a third of the line's 10.05, plus the order's shipping on the first shipment.
    assert D(first.json()["amount_captured"]) == D("3.35") + D(order["shipping"])
    body = shop.get(f"/api/v1/orders/{number}/").json()
    assert (body["status"], body["payment_status"]) == ("partially_shipped", "partially_captured")
    assert body["tracking"]["tracking_number"] == "T1" and len(body["shipments"]) == 1
    assert stock("SPL-A") == (4, 2)
    # Cancel is over once something shipped.
    cancel = shop.post(f"/api/v1/orders/{number}/cancel/", {"reason": "x"}, content_type="application/json")
    assert cancel.json()["code"] == "not_cancellable"

    rest = carrier.post(
        f"/api/v1/orders/{number}/ship/", {"carrier": "UPS", "tracking_number": "T2"}, content_type="application/json"
    )  # the old route: one shipment of everything left
    assert rest.status_code == 200, rest.content
    body = rest.json()
    assert (body["status"], body["payment_status"]) == ("shipped", "captured")
    assert [s["lines"] for s in body["shipments"]] == [
        [{"sku": "SPL-A", "quantity": 1}],
        [{"sku": "SPL-A", "quantity": 2}, {"sku": "SPL-B", "quantity": 1}],
    ]
    captured = [D(s["amount_captured"]) for s in body["shipments"]]
    assert sum(captured) == total
    summary = sandbox_ledger_summary(order_numbers=[number])
    assert summary.captures[number] == 2 and summary.captured_amounts[number] == total
    assert summary.open_authorizations == [] and summary.charged_twice == []

    # Delivery events per shipment; the order-level route needs one shipment.
    order_level = carrier.post(
        f"/api/v1/orders/{number}/delivery-events/",
        {"event_id": "x", "status": "in_transit", "occurred_at": timezone.now().isoformat()},
        content_type="application/json",
    )
    assert (order_level.status_code, order_level.json()["code"]) == (409, "shipment_required")
    assert shipment_event(carrier, number, 1, "e1", "in_transit").status_code == 200
    assert shipment_event(carrier, number, 2, "e1", "in_transit").status_code == 200  # same id, other shipment
    body = shipment_event(carrier, number, 1, "e2", "delivered").json()
    assert body["status"] == "shipped" and body["shipments"][0]["delivery_status"] == "delivered"
    assert body["delivery_status"] == "in_transit"  # the least advanced shipment
    assert shipment_event(carrier, number, 1, "e3", "in_transit").json()["shipments"][0]["delivery_status"] == (
        "delivered"
    )  # never backwards
    assert shipment_event(carrier, number, 9, "e1", "delivered").status_code == 404

    body = shipment_event(carrier, number, 2, "e2", "delivered").json()
    assert (body["status"], body["delivery_status"], body["payment_status"]) == ("delivered", "delivered", "captured")
    assert ledger_matches_levels("SPL-A") and ledger_matches_levels("SPL-B")
    # order.updated after each shipment (recorded with the write, for every one of them), order.shipped once.
    assert WebhookEvent.objects.filter(type="order.updated", dedupe_key__startswith=number).count() == 2
    assert WebhookEvent.objects.filter(type="order.shipped", dedupe_key__startswith=number).count() == 1
    # One "shipped" e-mail per shipment (API.md "Customer e-mails"), each for its own event.
    assert Email.objects.filter(order__number=number, kind="shipped").count() == 2
    progress = temporal.query(order_workflow_id(number), OrderWorkflow.progress, result_type=OrderProgress)
    assert progress.status == "delivered"
    # Each shipment ran as its own workflow, a child of the order's (visible under it in the Temporal UI).
    for seq in (1, 2):
        child = temporal.run(
            lambda client, seq=seq: client.get_workflow_handle(shipment_workflow_id(number, seq)).describe()
        )
        assert child.parent_id == order_workflow_id(number) and child.status.name == "COMPLETED"


def test_a_shipment_not_delivered_restocks_and_refunds_its_capture_only(live_oms) -> None:
    seed_sku("SPL-A", on_hand=5, price="3.35")
    seed_sku("SPL-B", on_hand=5, price="7.10")
    shop, carrier = api_client("shop"), api_client("logistics", scopes=("fulfilment",))
    order = two_line_order(shop, "spl-2")
    number, total = order["number"], D(order["total"])

    one = shipment(carrier, number, "T1", [{"sku": "SPL-B", "quantity": 1}]).json()
    two = shipment(carrier, number, "T2").json()  # everything left
    assert D(one["amount_captured"]) + D(two["amount_captured"]) == total
    assert stock("SPL-A") == (2, 0) and stock("SPL-B") == (4, 0)

    body = shipment_event(carrier, number, 1, "n1", "not_delivered").json()
    assert body["status"] == "shipped"  # shipment 2 is still on its way
    assert (D(body["refunded_amount"]), body["payment_status"]) == (D(one["amount_captured"]), "partially_refunded")
    assert body["shipments"][0]["amount_captured"] == one["amount_captured"]  # kept after the refund
    assert stock("SPL-B") == (5, 0) and stock("SPL-A") == (2, 0)  # only shipment 1's unit came back

    body = shipment_event(carrier, number, 2, "d1", "delivered").json()
    assert (body["status"], body["delivery_status"]) == ("delivered", "delivered")
    payment = Payment.objects.get(order_number=number)
    assert (payment.captured_amount, payment.refunded_amount) == (total, D(one["amount_captured"]))
    assert payment.refunded_amount <= payment.captured_amount
    assert Order.objects.get(number=number).refunded_amount == D(one["amount_captured"])
    assert ledger_matches_levels("SPL-A") and ledger_matches_levels("SPL-B")


def test_every_shipment_not_delivered_cancels_the_order_refunded(live_oms) -> None:
    seed_sku("SPL-A", on_hand=5, price="3.35")
    seed_sku("SPL-B", on_hand=5, price="7.10")
    shop, carrier = api_client("shop"), api_client("logistics", scopes=("fulfilment",))
    order = two_line_order(shop, "spl-3")
    number, total = order["number"], D(order["total"])
    shipment(carrier, number, "T1", [{"sku": "SPL-A", "quantity": 2}])
    shipment(carrier, number, "T2")
    shipment_event(carrier, number, 2, "n1", "not_delivered")
    body = shipment_event(carrier, number, 1, "n1", "not_delivered").json()
    assert (body["status"], body["cancel_reason"], body["payment_status"]) == (
        "cancelled",
        "delivery_failed",
        "refunded",
    )
    assert D(body["refunded_amount"]) == total
    assert stock("SPL-A") == (5, 0) and stock("SPL-B") == (5, 0)
    summary = sandbox_ledger_summary(order_numbers=[number])
    assert summary.refunded_amounts[number] == summary.captured_amounts[number] == total


def test_a_return_refund_and_an_undelivered_shipment_add_up_on_the_order(live_oms) -> None:
    """A return (another process) refunds through ``payment_refund`` too: the order's ``refunded_amount`` is the
    payment's own sum, so the undelivered shipment's write never hides the return's refund."""
    seed_sku("SPL-A", on_hand=5, price="3.35")
    seed_sku("SPL-B", on_hand=5, price="7.10")
    shop, carrier = api_client("shop"), api_client("logistics", scopes=("fulfilment",))
    number = two_line_order(shop, "spl-4")["number"]
    one = shipment(carrier, number, "T1", [{"sku": "SPL-B", "quantity": 1}]).json()
    shipment(carrier, number, "T2")
    payment_refund(order_number=number, idempotency_key="return-1:refund", amount="1.00")  # as a return would

    body = shipment_event(carrier, number, 2, "n1", "not_delivered").json()
    two = body["shipments"][1]["amount_captured"]
    assert D(body["refunded_amount"]) == D(two) + D("1.00")
    assert Payment.objects.get(order_number=number).refunded_amount == D(two) + D("1.00")
    with pytest.raises(RefundExceedsCaptured):  # never more than captured, whoever asks
        payment_refund(order_number=number, idempotency_key="return-2:refund", amount=one["amount_captured"])
