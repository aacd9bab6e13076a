"""The order saga end to end: partner API -> Temporal dev server -> the project's workers -> the database."""

from __future__ import annotations

import threading
import time

import pytest

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

# The worker threads keep writing (saga steps) while the test's request writes too. The in-memory, shared-cache
# SQLite test database answers that with SQLITE_LOCKED at once (no busy wait), so these run on PostgreSQL only;
# the embedded SQLite file (WAL + busy timeout) handles it (bench/order_bench.py runs on it).
pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def test_happy_path_confirms_with_stock_allocated_and_payment_authorized(live_oms) -> None:
    seed_sku("TEA-1", on_hand=5, price="3.34")
    client = api_client()
    response = post_order(client, order_body("TEA-1", quantity=2, external_ref="shop-42"), key="k-1")

    assert response.status_code == 201, response.content
    body = response.json()
    number = body["number"]
    assert response["Location"] == f"/api/v1/orders/{number}/"
    assert body["status"] == "created"
    assert body["lines"] == [
        {
            "sku": "TEA-1",
            "name": "Product TEA-1 - Standard",
            "quantity": 2,
            "unit_price": "3.34",
            "line_total": "6.68",
            "discount": "0.00",
            "tax": "0.00",
            "total": "6.68",
        }
    ]
    assert (body["subtotal"], body["shipping"], body["total"], body["currency"]) == ("6.68", "4.90", "11.58", "EUR")

    order = wait_for(number)
    assert (order.status, order.payment_status) == ("confirmed", "authorized")
    assert order.delivery_reference.startswith("D-")
    assert stock("TEA-1") == (5, 2)
    payment = payment_get(order_number=number)
    assert payment is not None and payment.status == "authorized" and str(payment.amount) == "11.58"

    detail = client.get(f"/api/v1/orders/{number}/").json()
    types = [event["type"] for event in detail["events"]]
    assert types == ["created", "stock_reserved", "payment_authorized", "delivery_requested", "confirmed"]
    assert detail["events"][0]["actor"] == "partner:shop"
    progress = temporal.query(order_workflow_id(number), OrderWorkflow.progress, result_type=OrderProgress)
    assert progress.step == "awaiting_shipment"
    assert progress.pending_compensations == ["request_delivery", "authorize_payment", "reserve_stock"] or set(
        progress.pending_compensations
    ) == {"request_delivery", "authorize_payment", "reserve_stock"}


def test_declined_card_fails_with_stock_released_and_nothing_charged(live_oms) -> None:
    seed_sku("TEA-2", on_hand=5)
    response = post_order(api_client(), order_body("TEA-2", quantity=3, token="pm_card_declined"), key="k-2")
    number = response.json()["number"]

    order = wait_for(number, {"failed"})
    assert (order.failure_reason, order.payment_status) == ("payment_declined", "failed")
    assert stock("TEA-2") == (5, 0)
    assert ledger_matches_levels("TEA-2")
    ledger = sandbox_ledger_summary(order_numbers=[number])
    assert number not in ledger.orders_charged
    types = [event.type for event in order.events.order_by("id")]
    assert types[:3] == ["created", "stock_reserved", "step_failed"]
    assert "stock_released" in types and types[-1] == "failed"
    # nothing was authorized, so the timeline does not claim an authorization was released
    assert "payment_voided" not in types


def test_out_of_stock_fails_with_nothing_authorized(live_oms) -> None:
    seed_sku("TEA-3", on_hand=1)
    response = post_order(api_client(), order_body("TEA-3", quantity=2), key="k-3")
    number = response.json()["number"]

    order = wait_for(number, {"failed"})
    assert order.failure_reason == "insufficient_stock"
    assert order.payment_status == "pending"
    assert stock("TEA-3") == (1, 0)
    assert payment_get(order_number=number) is None
    assert number not in sandbox_ledger_summary(order_numbers=[number]).orders_charged


def test_flaky_card_is_retried_then_confirmed(live_oms) -> None:
    seed_sku("TEA-4", on_hand=5)
    response = post_order(api_client(), order_body("TEA-4", token="pm_card_flaky"), key="k-4")
    order = wait_for(response.json()["number"])
    assert (order.status, order.payment_status) == ("confirmed", "authorized")
    assert sandbox_ledger_summary(order_numbers=[order.number]).authorizations[order.number] == 1


def test_cancel_after_confirm_releases_stock_and_voids_then_is_refused(live_oms) -> None:
    seed_sku("TEA-5", on_hand=5)
    client = api_client()
    number = post_order(client, order_body("TEA-5", quantity=2), key="k-5").json()["number"]
    wait_for(number, {"confirmed"})
    assert stock("TEA-5") == (5, 2)

    response = client.post(f"/api/v1/orders/{number}/cancel/", {"reason": "changed mind"}, "application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["payment_status"], body["cancel_reason"]) == ("cancelled", "voided", "changed mind")
    assert stock("TEA-5") == (5, 0)
    assert ledger_matches_levels("TEA-5")
    assert payment_get(order_number=number).status == "voided"
    cancel_events = [e for e in body["events"] if e["type"] in ("cancel_requested", "cancelled")]
    assert {e["actor"] for e in cancel_events} == {"partner:shop"}

    # Repeating an accepted cancel is not an error: the order as it is (API.md "Long-running actions")
    again = client.post(f"/api/v1/orders/{number}/cancel/", {"reason": "again"}, "application/json")
    assert again.status_code == 200 and again.json()["cancel_reason"] == "changed mind", again.content
    assert [e["type"] for e in again.json()["events"]].count("cancel_requested") == 1


def test_cancel_of_a_failed_order_is_refused(live_oms) -> None:
    seed_sku("TEA-6", on_hand=0)
    client = api_client()
    number = post_order(client, order_body("TEA-6"), key="k-6").json()["number"]
    wait_for(number, {"failed"})
    response = client.post(f"/api/v1/orders/{number}/cancel/", {"reason": "x"}, "application/json")
    assert response.status_code == 409 and response.json()["code"] == "not_cancellable"


def test_cancel_during_the_saga_compensates_and_a_second_cancel_joins_the_first(live_oms) -> None:
    """A second cancel while the first runs (the read model still says `created`) is accepted by the workflow's
    validator and answers the first one's outcome: one cancellation, the first reason, never an error."""
    seed_sku("TEA-7", on_hand=5)
    client = api_client()
    number = post_order(client, order_body("TEA-7", token="pm_card_slow"), key="k-7").json()["number"]
    answers = []

    def cancel() -> None:
        answers.append(client.post(f"/api/v1/orders/{number}/cancel/", {"reason": "r"}, "application/json"))

    first = threading.Thread(target=cancel)
    first.start()
    for _ in range(200):
        progress = temporal.query(order_workflow_id(number), OrderWorkflow.progress, result_type=OrderProgress)
        if progress.cancel_requested:
            break
        time.sleep(0.02)
    assert progress.cancel_requested and progress.status == "created", progress
    second = client.post(f"/api/v1/orders/{number}/cancel/", {"reason": "r2"}, "application/json")
    assert second.status_code in (200, 202) and second.json()["status"] in ("created", "cancelled"), second.content
    first.join(60)
    assert answers[0].status_code in (200, 202), answers[0].content
    order = wait_for(number, {"cancelled"})
    assert order.cancel_reason == "r" and order.events.filter(type="cancel_requested").count() == 1
    assert stock("TEA-7") == (5, 0)
    assert ledger_matches_levels("TEA-7")
    assert number not in sandbox_ledger_summary(order_numbers=[number]).open_authorizations


def test_partners_see_only_their_orders_and_fulfilment_sees_all(live_oms) -> None:
    seed_sku("TEA-8", on_hand=5)
    mine, theirs = api_client("shop"), api_client("other")
    number = post_order(mine, order_body("TEA-8", external_ref="ext-1"), key="k-8").json()["number"]
    wait_for(number)

    assert theirs.get(f"/api/v1/orders/{number}/").status_code == 404
    assert theirs.post(f"/api/v1/orders/{number}/cancel/", {"reason": "x"}, "application/json").status_code == 404
    assert theirs.get("/api/v1/orders/").json()["results"] == []
    listed = mine.get("/api/v1/orders/?external_ref=ext-1&status=confirmed").json()
    assert [o["number"] for o in listed["results"]] == [number]
    fulfilment = api_client("3pl", scopes=("fulfilment",))
    assert fulfilment.get(f"/api/v1/orders/{number}/").status_code == 200
    assert [o["number"] for o in fulfilment.get("/api/v1/orders/").json()["results"]] == [number]
    refused = fulfilment.post(f"/api/v1/orders/{number}/cancel/", {"reason": "x"}, "application/json")
    assert refused.status_code == 403
    for bad in ("status=lost", "created_after=yesterday", "page_size=0"):
        assert mine.get(f"/api/v1/orders/?{bad}").status_code == 400, bad


def test_idempotent_replay_and_reuse_with_another_body(live_oms) -> None:
    seed_sku("TEA-9", on_hand=5)
    client = api_client()
    first = post_order(client, order_body("TEA-9"), key="same")
    wait_for(first.json()["number"])
    replay = post_order(client, order_body("TEA-9"), key="same")
    assert (replay.status_code, replay.json(), replay["Location"]) == (201, first.json(), first["Location"])
    other = post_order(client, order_body("TEA-9", quantity=2), key="same")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    unknown = post_order(client, order_body("NOPE"), key="k-unknown")
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_sku"
    assert unknown.json()["field"] == "lines[0].sku"
