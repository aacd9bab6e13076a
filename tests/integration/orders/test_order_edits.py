"""Order edits end to end (API.md "Order edits"): partner API -> dev server -> the order's process (validated
update, one all-or-nothing step) -> PostgreSQL, the stock ledger and the sandbox PSP. Plus the races: an edit
against a shipment and against a cancel, through real threads."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from catalog.stock import stock_held_by_order
from orders.models import Order, OrderLine
from partners.models import Partner
from payments.models import Payment
from payments.selectors import sandbox_ledger_summary
from tests.integration.orders.helpers import (
    api_client,
    fresh_keys,
    ledger_matches_levels,
    order_body,
    place_orders,
    post_order,
    seed_sku,
    stock,
    subscribe_to_every_event,
    wait_for,
    wait_for_all,
)
from vouchers.models import Voucher
from vouchers.services import voucher_create
from webhooks.models import WebhookEvent

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

D = Decimal


def confirmed(client: Client, key: str, token: str = "pm_card_ok", quantity: int = 2) -> dict[str, Any]:
    response = post_order(client, order_body("EDT-A", quantity=quantity, token=token), key=key)
    assert response.status_code == 201, response.content
    assert wait_for(response.json()["number"]).status == "confirmed"
    return client.get(f"/api/v1/orders/{response.json()['number']}/").json()


def edit(client: Client, number: str, lines: list[dict[str, Any]], key: str) -> Any:
    return client.post(
        f"/api/v1/orders/{number}/edit/", {"lines": lines}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


def snapshot(number: str) -> tuple[Any, ...]:
    """Everything an edit may change: lines, totals, stock held, the payment."""
    order = Order.objects.get(number=number)
    payment = Payment.objects.get(order_number=number)
    lines = list(OrderLine.objects.filter(order=order).values_list("sku", "quantity", "unit_price", "total"))
    held = [(a.sku, a.quantity) for a in stock_held_by_order(number)]
    return (lines, order.subtotal, order.shipping, order.total, held, payment.amount, payment.status)


def test_an_edit_reserves_releases_reprices_and_authorizes_the_difference(live_oms) -> None:
    seed_sku("EDT-A", on_hand=10, price="10.00")
    seed_sku("EDT-B", on_hand=10, price="5.00")
    shop = api_client("shop")
    subscribe_to_every_event("shop")
    order = confirmed(shop, "edt-1")
    number = order["number"]
    assert D(order["total"]) == D("24.90")  # 2 x 10.00 + 4.90 shipping

    response = edit(shop, number, [{"sku": "EDT-A", "quantity": 3}, {"sku": "EDT-B", "quantity": 2}], "e1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [(line["sku"], line["quantity"]) for line in body["lines"]] == [("EDT-A", 3), ("EDT-B", 2)]
    assert (D(body["subtotal"]), D(body["total"])) == (D("40.00"), D("44.90"))
    assert sum(D(line["total"]) for line in body["lines"]) + D(body["shipping"]) == D(body["total"])
    assert stock("EDT-A") == (10, 3) and stock("EDT-B") == (10, 2)
    payment = Payment.objects.get(order_number=number)
    assert (payment.amount, payment.status) == (D("44.90"), "authorized")
    assert sandbox_ledger_summary(order_numbers=[number]).increments[number] == 1
    assert body["events"][-1]["type"] == "edited" and body["events"][-1]["actor"] == "partner:shop"
    assert WebhookEvent.objects.filter(type="order.updated", dedupe_key__startswith=number).count() == 1
    # The same Idempotency-Key replays the answer; nothing runs twice.
    assert edit(shop, number, [{"sku": "EDT-A", "quantity": 3}, {"sku": "EDT-B", "quantity": 2}], "e1").json() == body

    # A smaller edit frees units and never asks the card for anything.
    smaller = edit(shop, number, [{"sku": "EDT-B", "quantity": 1}], "e2").json()
    assert [(line["sku"], line["quantity"]) for line in smaller["lines"]] == [("EDT-B", 1)]
    assert stock("EDT-A") == (10, 0) and stock("EDT-B") == (10, 1)
    assert sandbox_ledger_summary(order_numbers=[number]).increments[number] == 1
    # The whole order ships afterwards and captures exactly its new total (the rest of the hold is released).
    carrier = api_client("logistics", scopes=("fulfilment",))
    shipped = carrier.post(
        f"/api/v1/orders/{number}/ship/", {"carrier": "DHL", "tracking_number": "T"}, content_type="application/json"
    ).json()
    assert D(shipped["shipments"][0]["amount_captured"]) == D(smaller["total"])
    summary = sandbox_ledger_summary(order_numbers=[number])
    assert summary.captured_amounts[number] == D(smaller["total"]) and summary.open_authorizations == []
    assert ledger_matches_levels("EDT-A") and ledger_matches_levels("EDT-B")


def test_a_declined_difference_leaves_the_order_exactly_as_it_was(live_oms) -> None:
    seed_sku("EDT-A", on_hand=20, price="10.00")
    shop = api_client("shop")
    number = confirmed(shop, "edt-2", token="pm_card_limit_100")["number"]  # 24.90 authorized
    before = snapshot(number)

    within = edit(shop, number, [{"sku": "EDT-A", "quantity": 9}], "e1")  # at most 94.90: within 100.00
    assert within.status_code == 200, within.content
    after_first = snapshot(number)
    declined = edit(shop, number, [{"sku": "EDT-A", "quantity": 11}], "e2")  # 110.00 or more: beyond
    assert (declined.status_code, declined.json()["code"]) == (409, "payment_declined")
    assert snapshot(number) == after_first != before
    body = shop.get(f"/api/v1/orders/{number}/").json()
    assert body["pending_action"] is None and body["events"][-1]["type"] == "edit_refused"
    assert ledger_matches_levels("EDT-A")


def test_an_edit_without_stock_changes_nothing(live_oms) -> None:
    seed_sku("EDT-A", on_hand=3, price="10.00")
    seed_sku("EDT-B", on_hand=0, price="5.00")
    shop = api_client("shop")
    number = confirmed(shop, "edt-3")["number"]
    before = snapshot(number)
    response = edit(shop, number, [{"sku": "EDT-A", "quantity": 3}, {"sku": "EDT-B", "quantity": 1}], "e1")
    assert (response.status_code, response.json()["code"]) == (409, "insufficient_stock")
    assert snapshot(number) == before
    assert stock("EDT-A") == (3, 2) and ledger_matches_levels("EDT-A")


def test_edits_of_a_partly_shipped_order_keep_what_shipped(live_oms) -> None:
    seed_sku("EDT-A", on_hand=10, price="10.00")
    shop, carrier = api_client("shop"), api_client("logistics", scopes=("fulfilment",))
    number = confirmed(shop, "edt-4", quantity=3)["number"]
    carrier.post(
        f"/api/v1/orders/{number}/shipments/",
        {"carrier": "DHL", "tracking_number": "T1", "lines": [{"sku": "EDT-A", "quantity": 2}]},
        content_type="application/json",
    )
    below = edit(shop, number, [{"sku": "EDT-A", "quantity": 1}], "e1")
    assert (below.status_code, below.json()["code"]) == (409, "not_editable")
    # Down to what shipped: the order is then fully shipped by the edit's units alone.
    to_shipped = edit(shop, number, [{"sku": "EDT-A", "quantity": 2}], "e2")
    assert to_shipped.status_code == 200, to_shipped.content
    assert stock("EDT-A") == (8, 0)
    other = api_client("other")
    assert edit(other, number, [{"sku": "EDT-A", "quantity": 2}], "e3").status_code == 404


def _race(numbers: list[str], first: Any, second: Any) -> dict[tuple[str, str], tuple[int, dict[str, Any]]]:
    start = threading.Barrier(len(numbers) * 2)
    answers: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}

    def run(name: str, call: Any, number: str) -> None:
        start.wait(60)
        try:
            response = call(number)
            answers[(number, name)] = (response.status_code, response.json())
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(name, call, number))
        for number in numbers
        for name, call in (("a", first), ("b", second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(answers) == len(numbers) * 2, "a request never answered"
    return answers


RACES = 6


def test_edit_against_shipment_never_interleaves(live_oms) -> None:
    """One at a time: whichever the order's process takes first, the other is refused while it runs (409, nothing
    of it applied) or sees its result. A shipment captures the total of the order as it is when it ships (edited
    or not); stock and money balance."""
    seed_sku("EDT-A", on_hand=RACES * 5, price="10.00")
    shop, carrier = api_client("shop"), api_client("logistics", scopes=("fulfilment",))
    partner = Partner.objects.get(name="shop")
    numbers = place_orders(partner, order_body("EDT-A", quantity=2), fresh_keys("edit-ship", RACES))
    assert wait_for_all(numbers) == {"confirmed": RACES}

    answers = _race(
        numbers,
        lambda n: edit(shop, n, [{"sku": "EDT-A", "quantity": 3}], f"race-{n}"),
        lambda n: carrier.post(
            f"/api/v1/orders/{n}/ship/", {"carrier": "DHL", "tracking_number": n}, content_type="application/json"
        ),
    )
    ledger = sandbox_ledger_summary(order_numbers=numbers)
    for number in numbers:
        (edit_status, edit_body), (ship_status, ship_body) = answers[(number, "a")], answers[(number, "b")]
        order = Order.objects.get(number=number)
        units = OrderLine.objects.get(order=order).quantity
        assert 200 in (edit_status, ship_status), (number, edit_body, ship_body)
        if edit_status == 200:
            assert units == 3, number
        else:
            assert (edit_status, edit_body["code"]) == (409, "not_editable"), (number, edit_body)
            assert units == 2, number
        if ship_status == 200:
            assert order.status == "shipped", number
            assert ledger.captured_amounts[number] == order.total, number  # the capture follows the edit, or not
            assert stock_held_by_order(number) == [] and number not in ledger.open_authorizations
        else:
            assert (ship_status, ship_body["code"]) == (409, "not_shippable"), (number, ship_body)
            assert "edit is running" in ship_body["message"], ship_body
            assert order.status == "confirmed" and ledger.captures[number] == 0, number
            assert [(a.sku, a.quantity) for a in stock_held_by_order(number)] == [("EDT-A", 3)]
    assert ledger.charged_twice == []
    assert ledger_matches_levels("EDT-A")


def test_edit_against_cancel_never_interleaves(live_oms) -> None:
    seed_sku("EDT-A", on_hand=RACES * 5, price="10.00")
    shop = api_client("shop")
    partner = Partner.objects.get(name="shop")
    numbers = place_orders(partner, order_body("EDT-A", quantity=2), fresh_keys("edit-cancel", RACES))
    assert wait_for_all(numbers) == {"confirmed": RACES}

    answers = _race(
        numbers,
        lambda n: edit(shop, n, [{"sku": "EDT-A", "quantity": 4}], f"race-{n}"),
        lambda n: shop.post(f"/api/v1/orders/{n}/cancel/", {"reason": "race"}, content_type="application/json"),
    )
    ledger = sandbox_ledger_summary(order_numbers=numbers)
    for number in numbers:
        (edit_status, edit_body), (cancel_status, cancel_body) = answers[(number, "a")], answers[(number, "b")]
        order = Order.objects.get(number=number)
        assert edit_status in (200, 409) and cancel_status in (200, 409), (edit_body, cancel_body)
        if cancel_status == 200:
            assert order.status == "cancelled", number
            assert edit_status == 200 or edit_body["code"] == "not_editable", edit_body
            # Whatever the edit reserved was released with the rest; the whole hold (increment too) voided.
            assert stock_held_by_order(number) == [], number
            assert ledger.voids[number] == 1 and number not in ledger.open_authorizations
        else:
            assert cancel_body["code"] == "not_cancellable" and edit_status == 200, (cancel_body, edit_body)
            assert order.status == "confirmed" and OrderLine.objects.get(order=order).quantity == 4
            assert [(a.sku, a.quantity) for a in stock_held_by_order(number)] == [("EDT-A", 4)]
    assert ledger.charged_twice == []
    assert ledger_matches_levels("EDT-A")


def test_an_edit_reprices_with_the_voucher_and_drops_it_under_its_minimum(live_oms) -> None:
    """API.md "Order edits": the voucher is recomputed on the new lines; a voucher whose minimum is no longer met
    is dropped, and its use is given back (exactly once)."""
    seed_sku("EDT-V", on_hand=10, price="10.00")
    voucher_create(code="EDITTEN", kind="percentage", value=D("10"), min_subtotal=D("30.00"), usage_limit=5)
    shop = api_client("shop")
    (key,) = fresh_keys("edt-v", 1)
    response = post_order(shop, order_body("EDT-V", quantity=4, voucher_code="editten"), key=key)
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assert wait_for(number).status == "confirmed"
    assert Voucher.objects.get(code="EDITTEN").used_count == 1

    kept = edit(shop, number, [{"sku": "EDT-V", "quantity": 5}], "v1")
    assert kept.status_code == 200, kept.content
    body = kept.json()
    assert (D(body["subtotal"]), D(body["discount"]), body["voucher_code"]) == (D("50.00"), D("5.00"), "EDITTEN")
    assert sum(D(line["total"]) for line in body["lines"]) + D(body["shipping"]) == D(body["total"])
    assert Voucher.objects.get(code="EDITTEN").used_count == 1

    dropped = edit(shop, number, [{"sku": "EDT-V", "quantity": 2}], "v2")
    assert dropped.status_code == 200, dropped.content
    body = dropped.json()
    assert (D(body["subtotal"]), D(body["discount"]), body["voucher_code"]) == (D("20.00"), D("0.00"), None)
    assert Voucher.objects.get(code="EDITTEN").used_count == 0
    assert "voucher_released" in [event["type"] for event in body["events"]]

    # A cancel afterwards gives nothing back a second time.
    cancel = shop.post(f"/api/v1/orders/{number}/cancel/", {"reason": "changed mind"}, content_type="application/json")
    assert cancel.status_code == 200, cancel.content
    assert wait_for(number).status == "cancelled"
    assert Voucher.objects.get(code="EDITTEN").used_count == 0


def test_an_edit_never_brings_the_total_below_what_shipments_captured(live_oms) -> None:
    """A fixed voucher re-split over fewer lines would lower the total under the shipped line's capture: refused,
    nothing changed (captures must still add up to the total)."""
    seed_sku("EDT-C", on_hand=10, price="20.00")
    seed_sku("EDT-D", on_hand=10, price="20.00")
    voucher_create(code="EDITFIX", kind="fixed", value=D("10.00"), currency="EUR")
    shop, carrier = api_client("shop"), api_client("logistics", scopes=("fulfilment",))
    (key,) = fresh_keys("edt-fix", 1)
    body = order_body("EDT-C", voucher_code="EDITFIX")
    body["lines"].append({"sku": "EDT-D", "quantity": 1})
    response = post_order(shop, body, key=key)
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assert wait_for(number).status == "confirmed"
    shipped = carrier.post(
        f"/api/v1/orders/{number}/shipments/",
        {"carrier": "DHL", "tracking_number": "T1", "lines": [{"sku": "EDT-C", "quantity": 1}]},
        content_type="application/json",
    )
    assert shipped.status_code == 201, shipped.content
    before = snapshot(number)
    refused = edit(shop, number, [{"sku": "EDT-C", "quantity": 1}], "fix-1")
    assert (refused.status_code, refused.json()["code"]) == (409, "not_editable"), refused.content
    assert "captured" in refused.json()["message"]
    assert snapshot(number) == before
