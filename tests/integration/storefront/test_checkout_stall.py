"""The checkout's order start stalls after the cart closed (issue #13, edge 1).

No hook in the app: the order task queue is one no worker polls yet, so starting the order waits (as behind a
stalled or backlogged order queue) and the web's Temporal call times out after the cart closed. The customer
must land on the order page (a guest with the private link), never on "Your cart is empty"; once a worker polls
that queue, the order appears and is confirmed: exactly one order, one authorization.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from carts.contracts import cart_workflow_id
from carts.models import Cart
from oms_project import temporal
from orders.lookup import order_lookup_path
from orders.models import Order
from orders.numbers import order_number_for_cart
from payments.models import SandboxLedgerEntry
from tests.integration.orders.helpers import api_client, order_body, seed_sku, wait_for
from tests.integration.storefront.test_checkout_pages import _checkout_form
from tests.temporal_env import LoopThread, RunningWorkers

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def stalled_order_queue(live_oms, settings, temporal_server: str, temporal_loop: LoopThread):  # type: ignore[no-untyped-def]
    """Orders start on a queue nobody polls until ``release()``; Temporal calls give up after 3 s."""
    queue = f"order-stalled-{uuid.uuid4().hex[:8]}"
    settings.ORDER_TASK_QUEUE = queue
    settings.TEMPORAL_RPC_TIMEOUT = timedelta(seconds=1)  # the client's deadline is three times this
    started: list[RunningWorkers] = []

    def release() -> None:
        client = temporal_loop.run(temporal.connect(temporal_server))
        unused = f"cart-unused-{uuid.uuid4().hex[:8]}"
        started.append(RunningWorkers(temporal_loop, client, task_queues={"order": queue, "cart": unused}))

    yield release
    for workers in started:
        workers.stop()


def _wait_until_the_cart_workflow_ends(cart_id: str) -> None:
    """Its checkout ends once the order has started: no retry of it outlives the test's settings."""

    async def result(client: Any) -> Any:
        return await client.get_workflow_handle(cart_workflow_id(cart_id)).result()

    temporal.run(result, timeout=120)


def _one_order_one_authorization(number: str) -> None:
    assert wait_for(number, {"confirmed"}).status == "confirmed"
    assert Order.objects.filter(number=number).count() == Order.objects.count() == 1
    authorizations = SandboxLedgerEntry.objects.filter(operation="authorize", status="succeeded")
    assert authorizations.count() == 1 and authorizations.get().order_number == number


def test_a_guest_whose_order_start_stalls_lands_on_the_order_page_with_the_private_link(
    stalled_order_queue,  # type: ignore[no-untyped-def]
) -> None:
    seed_sku("CLOCK", on_hand=5, price="30.00")
    guest = Client()
    data = _checkout_form(guest, "CLOCK", 1)
    number = order_number_for_cart(data["cart_id"])
    path = order_lookup_path(number=number)

    first = guest.post("/checkout/", data)  # the order cannot start: the web's call times out
    assert Cart.objects.get(cart_id=data["cart_id"]).status == "checked_out"
    assert first.status_code == 302 and first["Location"] == f"{path}?placed=1"  # not "/cart/" (empty)
    assert not Order.objects.exists()
    placing = guest.get(first["Location"])
    assert placing.status_code == 200 and b"We are placing your order" in placing.content
    assert path.encode() in placing.content  # the private link, for a guest who has no account
    assert Client().get(path).status_code == 404  # only the browser that checked out sees the page this early
    # The same form again (a reload, a second click) leads to the same page.
    again = guest.post("/checkout/", data)
    assert again.status_code == 302 and again["Location"] == f"{path}?placed=1"

    stalled_order_queue()  # a worker polls the order queue again
    _wait_until_the_cart_workflow_ends(data["cart_id"])
    _one_order_one_authorization(number)
    page = guest.get(path)
    assert page.status_code == 200 and b'data-status="confirmed"' in page.content


def test_a_partner_cart_checkout_that_stalls_is_finished_by_a_retry_with_the_same_key(
    stalled_order_queue,  # type: ignore[no-untyped-def]
) -> None:
    seed_sku("DESK", on_hand=5)
    client = api_client("shop")
    cart_id = client.post("/api/v1/carts/", {}, content_type="application/json").json()["id"]
    client.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "DESK", "quantity": 1}, "application/json")
    body = order_body("unused")
    del body["lines"]
    url = f"/api/v1/carts/{cart_id}/checkout/"

    stalled = client.post(url, body, "application/json", HTTP_IDEMPOTENCY_KEY="k1")
    assert stalled.status_code == 503 and stalled.json()["code"] == "temporal_unavailable"
    assert Cart.objects.get(cart_id=cart_id).status == "checked_out"  # closed: its order is on its way

    stalled_order_queue()
    _wait_until_the_cart_workflow_ends(cart_id)
    retried = client.post(url, body, "application/json", HTTP_IDEMPOTENCY_KEY="k1")
    assert retried.status_code == 201 and retried.json()["number"] == order_number_for_cart(cart_id)
    _one_order_one_authorization(order_number_for_cart(cart_id))
