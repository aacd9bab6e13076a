"""Returns end to end: partner API -> dev server -> workers (ReturnWorkflow) -> PostgreSQL, payments v2 and the
sandbox PSP's ledger, the stock ledger."""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.test import override_settings

from catalog.models import StockMovement
from notifications.models import Email
from notifications.rendering import email_message
from oms_project.errors import DomainError
from orders.models import Order
from payments.models import SandboxLedgerEntry
from returns import services
from returns.models import Return
from tests.integration.orders.helpers import (
    api_client,
    ledger_matches_levels,
    seed_sku,
    stock,
    subscribe_to_every_event,
)
from tests.integration.orders.test_split_shipments import shipment, shipment_event, two_line_order
from tests.integration.returns.helpers import delivered_order, request_return, step, wait_return
from webhooks.models import WebhookEvent

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def refunds_in_ledger(number: str) -> list[Decimal]:
    entries = SandboxLedgerEntry.objects.filter(
        order_number=number, operation=SandboxLedgerEntry.Operation.REFUND, status=SandboxLedgerEntry.Status.SUCCEEDED
    )
    return sorted(entry.amount for entry in entries)


@override_settings(ORDER_TAX_RATE="0.19")
def test_two_returns_refund_the_line_total_to_the_cent_never_shipping_and_restock_through_the_ledger(live_oms) -> None:
    seed_sku("RET-1", on_hand=5, price="3.33")
    shop, carrier = api_client("shop"), api_client("logistics", scopes=("fulfilment",))
    subscribe_to_every_event("shop")
    number = delivered_order(shop, carrier, "RET-1", 3, "ret-1")
    order = Order.objects.get(number=number)
    line = order.lines.get()
    assert (order.subtotal, order.shipping, order.tax, order.total) == (
        Decimal("9.99"),
        Decimal("4.90"),
        Decimal("2.83"),
        Decimal("17.72"),
    )
    assert line.total == Decimal("12.82")  # 9.99 + the order's tax: the line's share of what can be refunded
    assert stock("RET-1") == (2, 0)

    first = request_return(shop, number, [{"sku": "RET-1", "quantity": 1}], key="r1")
    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["status"], body["order_number"], body["lines"][0]["quantity"]) == ("requested", number, 1)
    return_id = body["id"]
    assert request_return(shop, number, [{"sku": "RET-1", "quantity": 1}], key="r1").json()["id"] == return_id

    approved = step(carrier, return_id, "approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.content
    assert step(carrier, return_id, "approve").json()["code"] == "invalid_transition"  # a step from the wrong status
    received = step(carrier, return_id, "receive")
    assert received.status_code in (200, 202), received.content
    ret = wait_return(return_id, "refunded")
    assert (ret.refund_amount, ret.refunded_amount) == (Decimal("4.27"), Decimal("4.27"))  # 12.82 / 3, to the cent

    second = request_return(shop, number, [{"sku": "RET-1", "quantity": 2}], key="r2")
    assert second.status_code == 201, second.content
    second_id = second.json()["id"]
    assert step(carrier, second_id, "approve").status_code == 200
    lines = [{"sku": "RET-1", "quantity": 2, "restock": False}]
    assert step(carrier, second_id, "receive", {"lines": lines}).status_code in (200, 202)
    second_ret = wait_return(second_id, "refunded")
    assert second_ret.refund_amount == Decimal("8.55")  # the completing return takes the line's remainder

    order.refresh_from_db()
    assert order.refunded_amount == line.total == Decimal("12.82")  # every cent of the line; shipping stays paid
    assert order.payment_status == "partially_refunded"
    assert refunds_in_ledger(number) == [Decimal("4.27"), Decimal("8.55")]  # the PSP refunded each return once
    assert stock("RET-1") == (3, 0)  # one unit restocked, two written off
    write_offs = StockMovement.objects.filter(reference=number, kind=StockMovement.Kind.WRITE_OFF)
    assert [(m.on_hand_delta, m.reason) for m in write_offs] == [(0, f"return {second_id}: 2 returned, written off")]
    assert ledger_matches_levels("RET-1")

    # Nothing is left to return; the order lists its returns and counts the refunds.
    third = request_return(shop, number, [{"sku": "RET-1", "quantity": 1}], key="r3")
    assert (third.status_code, third.json()["code"]) == (409, "not_returnable")
    body = shop.get(f"/api/v1/orders/{number}/").json()
    assert body["returns"] == [return_id, second_id] and body["refunded_amount"] == "12.82"
    events = [e["type"] for e in body["events"]]
    assert events.count("return_refunded") == 2 and "return_requested" in events
    listed = carrier.get(f"/api/v1/returns/?order={number}&status=refunded").json()["results"]
    assert {r["id"] for r in listed} == {return_id, second_id}
    # Webhook events (outbox rows of the writes): one per return step, and one order.updated per refund.
    events = Counter(WebhookEvent.objects.filter(dedupe_key__contains=return_id).values_list("type", flat=True))
    assert events == {"return.requested": 1, "return.approved": 1, "return.refunded": 1, "order.updated": 1}
    refunded_event = WebhookEvent.objects.get(dedupe_key__contains=return_id, type="return.refunded")
    assert (refunded_event.data["id"], refunded_event.data["refunded_amount"]) == (return_id, "4.27")
    kinds = Counter(Email.objects.filter(order=order).values_list("kind", flat=True))
    assert (kinds["return_approved"], kinds["return_refunded"], kinds["return_rejected"]) == (2, 2, 0)
    refunded_mail = Email.objects.filter(order=order, kind="return_refunded").order_by("pk").first()
    assert "4.27 EUR" in email_message(refunded_mail).body


def test_returns_are_refused_before_delivery_and_for_more_than_was_delivered_and_hidden_from_others(live_oms) -> None:
    seed_sku("RET-2", on_hand=5)
    shop, carrier = api_client("shop"), api_client("logistics", scopes=("fulfilment",))
    other = api_client("other-shop")
    number = delivered_order(shop, carrier, "RET-2", 2, "ret-2")
    too_many = request_return(shop, number, [{"sku": "RET-2", "quantity": 3}], key="a")
    assert (too_many.status_code, too_many.json()["code"], too_many.json()["field"]) == (
        409,
        "not_returnable",
        "lines[0].quantity",
    )
    unknown = request_return(shop, number, [{"sku": "NOPE", "quantity": 1}], key="b")
    assert unknown.json()["code"] == "not_returnable"
    bad_reason = request_return(shop, number, [{"sku": "RET-2", "quantity": 1}], key="c", reason="meh")
    assert (bad_reason.status_code, bad_reason.json()["field"]) == (400, "reason")
    assert request_return(other, number, [{"sku": "RET-2", "quantity": 1}], key="d").status_code == 404

    created = request_return(shop, number, [{"sku": "RET-2", "quantity": 1}], key="e").json()
    assert other.get(f"/api/v1/returns/{created['id']}/").status_code == 404
    assert other.get("/api/v1/returns/").json()["results"] == []
    # The requester cancels its own request; a cancelled return holds no units any more.
    cancelled = step(shop, created["id"], "cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.content
    assert step(shop, created["id"], "cancel").json()["code"] == "invalid_transition"
    rejected = request_return(shop, number, [{"sku": "RET-2", "quantity": 2}], key="f").json()
    assert step(carrier, rejected["id"], "reject", {}).status_code == 400  # a reason is required
    answer = step(carrier, rejected["id"], "reject", {"reason": "worn"})
    assert (answer.json()["status"], answer.json()["reject_reason"]) == ("rejected", "worn")
    assert step(carrier, rejected["id"], "receive").json()["code"] == "invalid_transition"
    assert Order.objects.get(number=number).refunded_amount == Decimal("0")
    assert list(
        Email.objects.filter(order__number=number, kind__startswith="return_").values_list("kind", flat=True)
    ) == ["return_rejected"]

    unshipped = shop.post("/api/v1/orders/", {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert unshipped.status_code == 400


def test_concurrent_returns_of_the_same_units_never_exceed_what_was_delivered(live_oms) -> None:
    """Eight requests for the same two units at once: the order row lock in the record activity lets units be
    held once; the others are refused (not_returnable) and record nothing."""
    seed_sku("RET-3", on_hand=5)
    shop, carrier = api_client("shop"), api_client("logistics", scopes=("fulfilment",))
    number = delivered_order(shop, carrier, "RET-3", 2, "ret-3")
    order = Order.objects.get(number=number)

    def request(index: int) -> str:
        try:
            ret = services.return_request(
                order=order,
                lines=[{"sku": "RET-3", "quantity": 2}],
                reason="other",
                actor="partner:shop",
                idempotency_key=f"race-{uuid.uuid4().hex}-{index}",
            )
            return ret.status
        except DomainError as error:
            return str(error.code)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(request, range(8)))
    assert sorted(outcomes) == ["not_returnable"] * 7 + ["requested"], outcomes
    assert Return.objects.filter(order=order).count() == 1


def test_only_units_of_delivered_shipments_can_be_returned(live_oms) -> None:
    """Split shipments: a shipment not delivered was refunded and restocked already; its units cannot be returned
    (and refunded) a second time. Only the delivered shipment's units are returnable."""
    seed_sku("SPL-A", on_hand=5, price="3.35")
    seed_sku("SPL-B", on_hand=5, price="7.10")
    shop, carrier = api_client("shop"), api_client("logistics", scopes=("fulfilment",))
    number = two_line_order(shop, f"ret-split-{uuid.uuid4().hex[:8]}")["number"]
    assert shipment(carrier, number, "T1", [{"sku": "SPL-B", "quantity": 1}]).status_code == 201
    assert shipment(carrier, number, "T2").status_code == 201  # the three SPL-A units
    shipment_event(carrier, number, 1, "n1", "not_delivered")
    assert shipment_event(carrier, number, 2, "d1", "delivered").json()["status"] == "delivered"

    refused = request_return(shop, number, [{"sku": "SPL-B", "quantity": 1}], key="split-b")
    assert (refused.status_code, refused.json()["code"]) == (409, "not_returnable")
    accepted = request_return(shop, number, [{"sku": "SPL-A", "quantity": 3}], key="split-a")
    assert accepted.status_code == 201, accepted.content
