"""Statements per order (issue #19): the partner POST and every activity of one order from placed to confirmed,
counted exactly, so a change that adds a query to the hot path fails here and says where.

The pool's connection check is not a statement (``oms_project.postgresql.base``: no round trip at all now)."""

from __future__ import annotations

import pytest

from notifications.models import Email
from orders.contracts import order_workflow_id
from tests.faults.processes import poll_until
from tests.integration.orders.helpers import api_client, order_body, post_order, seed_sku, wait_for
from tests.statement_count import activity_statements

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

# The POST: API key lookup and its last-used update, the idempotency claim (one INSERT), the existence check of
# the order number, the catalog prices, the order, its lines and events for the 201 body (a new order has no
# shipment or return to look up), the idempotency answer. 13 before issue #19's changes.
WEB_STATEMENTS = 9
# Every activity of the order until it is confirmed. The partner has no webhook endpoint: its writes render no
# webhook body and look up no event (order.record 11 -> 5, order.write 16 -> 10; 49 -> 37 in all); the sandbox
# delivery's row without a savepoint around it (delivery.request 5 -> 3). Then (42 -> 35): the payment row and the
# order write's e-mail rows made by INSERT ... ON CONFLICT DO NOTHING instead of a look-up and a savepoint
# (payment.authorize 10 -> 8, order.write 10 -> 7), the reservation's earlier call looked up once, under its locks
# (stock.reserve 6 -> 5), the e-mail marked sent by one conditional UPDATE (8 -> 7). Then (35 -> 32): the sandbox
# ledger entry made by INSERT ... ON CONFLICT DO NOTHING (payment.authorize 8 -> 7), the e-mail's order and event
# fetched with its claim (email_dispatch 7 -> 5).
WORKER_STATEMENTS = {
    "order.record": 5,
    "stock.reserve": 5,
    # The payment row (insert or nothing, lock), the sandbox PSP's ledger entry (insert or nothing, lock, update),
    # the payment under its lock again and its update.
    "payment.authorize": 7,
    "delivery.request": 3,  # the order, the sandbox's row looked up, inserted (5 with the savepoint before)
    "order.write": 7,
    # The confirmation e-mail, sent by the dispatch itself (ADR 0142): the pending e-mails, the claim with the order
    # and event it renders (one locking join), the claim's update, the lines, marked sent (one conditional update).
    "notifications.email_dispatch": 5,
}


def test_statements_of_one_partner_order_placed_to_confirmed(live_oms, django_assert_num_queries) -> None:
    seed_sku("STMT-1", on_hand=5)
    client = api_client()
    with activity_statements() as counted:
        with django_assert_num_queries(WEB_STATEMENTS):
            response = post_order(client, order_body("STMT-1"), key="statements-1")
        assert response.status_code == 201, response.content
        workflow_id = order_workflow_id(response.json()["number"])
        assert wait_for(response.json()["number"]).status == "confirmed"
        poll_until(  # the dispatch runs beside the order: its count is complete once the e-mail is sent
            lambda: Email.objects.filter(order__number=response.json()["number"], status="sent").exists(),
            timeout=30,
            what="the confirmation e-mail sent",
        )
        per_activity = dict(counted.of(workflow_id))
    assert per_activity == WORKER_STATEMENTS, "\n".join(counted.sql[workflow_id])
