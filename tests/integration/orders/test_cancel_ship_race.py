"""Cancel against ship on the same confirmed order, sent at the same moment: exactly one wins, the other gets 409,
and payment and stock follow the winner (real PostgreSQL, dev server and the project's workers)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from orders.models import Order
from payments.selectors import sandbox_ledger_summary
from tests.integration.orders.helpers import api_client, ledger_matches_levels, seed_sku, stock
from tests.integration.orders.test_fulfilment import confirmed_order, ship
from tests.integration.orders.test_order_concurrency import in_thread

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.slow]

ROUNDS = 8


def test_cancel_and_ship_at_once_exactly_one_wins_and_the_other_gets_409(live_oms) -> None:
    seed_sku("RACE-1", on_hand=ROUNDS)
    shop, carrier = api_client("shop"), api_client("logistics", scopes=("fulfilment",))
    numbers = [confirmed_order(shop, "RACE-1", f"race-{index}", quantity=1) for index in range(ROUNDS)]

    outcomes: dict[str, dict[str, tuple[int, dict[str, Any]]]] = {}
    for number in numbers:
        start = threading.Barrier(2)

        @in_thread
        def cancel(number: str = number, start: threading.Barrier = start) -> tuple[int, dict[str, Any]]:
            start.wait()
            response = shop.post(
                f"/api/v1/orders/{number}/cancel/", {"reason": "race"}, content_type="application/json"
            )
            return response.status_code, response.json()

        @in_thread
        def ship_now(number: str = number, start: threading.Barrier = start) -> tuple[int, dict[str, Any]]:
            start.wait()
            response = ship(carrier, number)
            return response.status_code, response.json()

        with ThreadPoolExecutor(max_workers=2) as pool:
            cancelled, shipped = pool.submit(cancel), pool.submit(ship_now)
            outcomes[number] = {"cancel": cancelled.result(timeout=120), "ship": shipped.result(timeout=120)}

    winners = {}
    for number, answers in outcomes.items():
        codes = {action: status for action, (status, _) in answers.items()}
        assert sorted(codes.values()) == [200, 409], (number, answers)
        winner = "cancel" if codes["cancel"] == 200 else "ship"
        loser = "ship" if winner == "cancel" else "cancel"
        assert answers[loser][1]["code"] == {"cancel": "not_cancellable", "ship": "not_shippable"}[loser]
        winners[number] = winner

        order = Order.objects.get(number=number)
        if winner == "cancel":
            assert (order.status, order.payment_status) == ("cancelled", "voided"), number
            assert answers["cancel"][1]["status"] == "cancelled"
        else:
            assert (order.status, order.payment_status) == ("shipped", "captured"), number
            assert answers["ship"][1]["status"] == "shipped"

    shipped_count = sum(1 for winner in winners.values() if winner == "ship")
    # Shipped units left the shelf; cancelled ones were released: nothing stays allocated.
    assert stock("RACE-1") == (ROUNDS - shipped_count, 0)
    assert ledger_matches_levels("RACE-1")
    # The PSP's books: one authorization each, captured once for a shipped order, voided for a cancelled one.
    ledger = sandbox_ledger_summary(order_numbers=numbers)
    assert ledger.charged_twice == [] and ledger.open_authorizations == []
    for number, winner in winners.items():
        assert ledger.authorizations[number] == 1
        expected = (1, 0) if winner == "ship" else (0, 1)
        assert (ledger.captures[number], ledger.voids[number]) == expected, number
