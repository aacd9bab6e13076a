"""API.md "Long-running actions": an action answers within ORDER_ACTION_ANSWER_SECONDS, 200 when done, else 202
with the order as it stands and ``pending_action``; the work then finishes by itself, a repeat is not an error,
and the admin reports a bulk action as accepted instead of running each one inside the request.

On the earlier order workflow a cancel held the request until every compensation had run (503 after 30 s while
it carried on) and a repeated cancel was a 409 "already being cancelled"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from backoffice.permissions import SUPPORT
from orders.models import Order
from tests.integration.backoffice.helpers import place_confirmed_order, staff_client
from tests.integration.backoffice.test_order_actions import _messages
from tests.integration.orders.helpers import (
    api_client,
    assert_orders_consistent,
    order_body,
    post_order,
    seed_sku,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def test_a_cancel_still_running_answers_202_then_finishes_and_a_repeat_joins_it(live_oms, settings) -> None:
    settings.ORDER_ACTION_ANSWER_SECONDS = 0.5
    settings.SANDBOX_SLOW_SECONDS = 3  # the card answers after 3 s: the cancel waits for that step to end
    seed_sku("LRA-1", on_hand=5)
    client = api_client()
    number = post_order(client, order_body("LRA-1", token="pm_card_slow"), key="lra-1").json()["number"]
    url = f"/api/v1/orders/{number}/cancel/"

    first = client.post(url, {"reason": "changed mind"}, "application/json")
    assert first.status_code == 202, first.content
    assert (first.json()["pending_action"], first.json()["status"]) == ("cancel", "created")
    again = client.post(url, {"reason": "really"}, "application/json")
    assert again.status_code in (200, 202) and again.json()["status"] in ("created", "cancelled"), again.content

    order = wait_for(number, {"cancelled"}, timeout=60)
    assert (order.cancel_reason, order.pending_action) == ("changed mind", "")
    assert order.events.filter(type="cancel_requested").count() == 1
    done = client.get(f"/api/v1/orders/{number}/").json()
    assert (done["status"], done["payment_status"], done["pending_action"]) == ("cancelled", "voided", None)
    after = client.post(url, {"reason": "once more"}, "application/json")
    assert (after.status_code, after.json()["cancel_reason"]) == (200, "changed mind")
    assert_orders_consistent([number], ends={"cancelled"})


def test_a_bulk_admin_action_is_accepted_for_each_order_and_finishes_by_itself(live_oms) -> None:
    numbers = [place_confirmed_order(f"LRA-B{index}") for index in range(2)]
    orders = Order.objects.filter(number__in=numbers)
    client, _ = staff_client(SUPPORT)
    selected = {"action": "cancel_orders", "_selected_action": [order.pk for order in orders]}
    answer = client.post(
        reverse("admin:orders_order_changelist"), {**selected, "apply": "1", "reason": "warehouse closed"}, follow=True
    )
    assert answer.status_code == 200
    messages = _messages(answer)
    for number in numbers:
        assert any(number in m and "accepted; the cancel is running" in m for m in messages), messages
    for number in numbers:
        assert wait_for(number, {"cancelled"}, timeout=60).cancel_reason == "warehouse closed"
    assert_orders_consistent(numbers, ends={"cancelled"})
