"""Recorded CartWorkflow histories must replay on the current code (a change that breaks them needs patching).

One history per way a cart ends or fails (docs/workflow-versioning.md): ``checkout`` (the hand-off to an order),
``expiry`` (idle timer), ``merged`` (closed at login: the guest cart's "cancel"), ``refused`` (updates accepted
by their validators that then fail: an unknown SKU, a checkout with a sold-out line; then it expires) and
``continue_as_new`` (the first run of a cart whose history reached its limit) and ``checkout_starts_order`` (the
one-step checkout: the order is prepared, the cart closed, the order started) and ``voucher_checkout`` (a voucher
refused, applied, removed, applied, carried to the order). Every update kind appears in them.

Record the missing ones: ``CART_RECORD_HISTORY=1 pytest tests/workflow/carts/test_cart_replay.py``;
``CART_RECORD_HISTORY=all`` re-records every one (only after an intended, patched change: the old files are the
proof that carts started by older code still replay).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowHistory,
    WorkflowUpdateFailedError,
)

from carts.contracts import (
    AddItemInput,
    CartWorkflowInput,
    CheckoutInput,
    CloseInput,
    LineInput,
    MergeInput,
    RemoveItemInput,
    ResetInput,
    SetQuantityInput,
    TouchInput,
    cart_workflow_id,
)
from carts.models import Cart
from carts.services import cart_add_item, cart_apply_voucher, cart_create_for_session, cart_remove_voucher
from carts.workflows import CartWorkflow
from catalog.models import StockLevel
from oms_project import temporal
from oms_project.workers import replayer
from orders.services import order_place_from_cart
from tests.integration.carts.seed import seed_variant
from tests.integration.orders.helpers import order_body
from tests.temporal_env import workers_on
from vouchers.errors import VoucherInvalid
from vouchers.services import voucher_create

HISTORIES = Path(__file__).parent / "histories"
Scenario = Callable[[WorkflowHandle, object], Awaitable[None]]


async def _every_line_update(handle: WorkflowHandle) -> None:
    await handle.execute_update(CartWorkflow.add_item, AddItemInput(sku="R-1", quantity=2))
    await handle.execute_update(CartWorkflow.set_quantity, SetQuantityInput(sku="R-2", quantity=3))
    await handle.execute_update(CartWorkflow.remove_item, RemoveItemInput(sku="R-2"))
    await handle.execute_update(
        CartWorkflow.merge, MergeInput(source_cart_id=uuid.uuid4().hex, lines=[LineInput(sku="R-2", quantity=1)])
    )


async def _checkout(handle: WorkflowHandle, env: object) -> None:
    await _every_line_update(handle)
    await handle.execute_update(CartWorkflow.checkout, CheckoutInput(idempotency_key="k"))


async def _expiry(handle: WorkflowHandle, env: object) -> None:
    await _every_line_update(handle)
    await env.sleep(timedelta(hours=2))  # type: ignore[attr-defined]


async def _merged(handle: WorkflowHandle, env: object) -> None:
    await _every_line_update(handle)
    await handle.execute_update(CartWorkflow.reset, ResetInput())
    await handle.execute_update(CartWorkflow.add_item, AddItemInput(sku="R-1", quantity=1))
    await handle.execute_update(CartWorkflow.touch, TouchInput())
    await handle.execute_update(CartWorkflow.close, CloseInput(reason="merged"))


async def _refused(handle: WorkflowHandle, env: object) -> None:
    await handle.execute_update(CartWorkflow.add_item, AddItemInput(sku="R-3", quantity=2))
    with pytest.raises(WorkflowUpdateFailedError):  # passes the validator, fails on the catalog: in history
        await handle.execute_update(CartWorkflow.add_item, AddItemInput(sku="R-GONE", quantity=1))
    await sync_to_async(StockLevel.objects.filter(variant__sku="R-3").update)(on_hand=0)
    with pytest.raises(WorkflowUpdateFailedError):  # re-priced at checkout: sold out, the cart stays open
        await handle.execute_update(CartWorkflow.checkout, CheckoutInput(idempotency_key="k"))
    await env.sleep(timedelta(hours=2))  # type: ignore[attr-defined]


async def _continue_as_new(handle: WorkflowHandle, env: object) -> None:
    """Add until the first run continues as new (updates go to whichever run is current)."""
    first_run = env.client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id)  # type: ignore[attr-defined]
    for _ in range(20):
        await handle.execute_update(CartWorkflow.add_item, AddItemInput(sku="R-1", quantity=1))
        for _ in range(10):  # the run continues as new in the workflow task after the update's
            if (await first_run.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW:
                return
            await asyncio.sleep(0.1)
    raise AssertionError("the cart never continued as new")


SCENARIOS: dict[str, tuple[Scenario, int]] = {  # name -> (driver, max_history_events)
    "checkout": (_checkout, 5000),
    "expiry": (_expiry, 5000),
    "merged": (_merged, 5000),
    "refused": (_refused, 5000),
    "continue_as_new": (_continue_as_new, 30),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.environ.get("CART_RECORD_HISTORY"), reason="records histories only on request")
async def test_record_histories(skip_env) -> None:  # type: ignore[no-untyped-def]
    record_all = os.environ["CART_RECORD_HISTORY"] == "all"
    for sku in ("R-1", "R-2", "R-3"):
        await sync_to_async(seed_variant)(sku)
    async with workers_on(skip_env.client) as queues:
        for name, (drive, max_history_events) in SCENARIOS.items():
            path = HISTORIES / f"cart_{name}.json"
            if path.exists() and not record_all:
                continue
            cart = await sync_to_async(Cart.objects.create)(session_key="r" * 32, currency="EUR")
            handle = await skip_env.client.start_workflow(
                CartWorkflow.run,
                CartWorkflowInput(
                    cart_id=cart.cart_id,
                    currency="EUR",
                    idle_timeout_seconds=3600,
                    max_history_events=max_history_events,
                ),
                id=cart_workflow_id(cart.cart_id),
                task_queue=queues["cart"],
            )
            await drive(handle, skip_env)
            first_run = skip_env.client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id)
            if (await first_run.describe()).status != WorkflowExecutionStatus.CONTINUED_AS_NEW:
                await handle.result()
            history = await first_run.fetch_history()
            await replayer([CartWorkflow]).replay_workflow(history)
            path.write_text(history.to_json())


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
async def test_recorded_histories_replay(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    await replayer([CartWorkflow]).replay_workflow(history)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.environ.get("CART_RECORD_HISTORY"), reason="records histories only on request")
def test_record_the_checkout_that_starts_its_order(live_oms) -> None:  # type: ignore[no-untyped-def]
    """``cart_checkout_starts_order``: the one-step checkout (prepare the order, close, start it; patch
    ``cart-checkout-starts-order``). Recorded against the real workers, since its activity starts an order."""
    path = HISTORIES / "cart_checkout_starts_order.json"
    if path.exists() and os.environ["CART_RECORD_HISTORY"] != "all":
        return
    seed_variant("R-1")
    cart = cart_create_for_session(session_key="r" * 32)
    cart_add_item(cart=cart, sku="R-1", quantity=2)
    body = order_body("R-1")
    order_place_from_cart(
        cart_id=cart.cart_id,
        contact=body["customer"],
        shipping_address=body["shipping_address"],
        delivery={"priority": "normal"},
        payment=body["payment"],
        idempotency_key="k",
        actor="guest",
    )

    async def history(client: Client) -> WorkflowHistory:
        handle = client.get_workflow_handle(cart_workflow_id(cart.cart_id))
        await handle.result()
        return await handle.fetch_history()

    recorded = temporal.run(history, timeout=60)
    asyncio.run(replayer([CartWorkflow]).replay_workflow(recorded))
    path.write_text(recorded.to_json())


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.environ.get("CART_RECORD_HISTORY"), reason="records histories only on request")
def test_record_a_checkout_with_a_voucher(live_oms) -> None:  # type: ignore[no-untyped-def]
    """``cart_voucher_checkout``: a refused code, a code applied, removed, applied again, then the one-step
    checkout carrying it to the order (the ``apply_voucher`` / ``remove_voucher`` updates)."""
    path = HISTORIES / "cart_voucher_checkout.json"
    if path.exists() and os.environ["CART_RECORD_HISTORY"] != "all":
        return
    seed_variant("R-1")
    voucher_create(code="REPLAY", kind="percentage", value=Decimal("10"))
    cart = cart_create_for_session(session_key="r" * 32)
    cart_add_item(cart=cart, sku="R-1", quantity=2)
    with pytest.raises(VoucherInvalid):
        cart_apply_voucher(cart=cart, code="UNKNOWN")
    cart_apply_voucher(cart=cart, code="replay")
    cart_remove_voucher(cart=cart)
    cart_apply_voucher(cart=cart, code="replay")
    body = order_body("R-1")
    order = order_place_from_cart(
        cart_id=cart.cart_id,
        contact=body["customer"],
        shipping_address=body["shipping_address"],
        delivery={"priority": "normal"},
        payment=body["payment"],
        idempotency_key="k",
        actor="guest",
    )
    assert order.voucher_code == "REPLAY" and order.discount == Decimal("2.50")

    async def history(client: Client) -> WorkflowHistory:
        handle = client.get_workflow_handle(cart_workflow_id(cart.cart_id))
        await handle.result()
        return await handle.fetch_history()

    recorded = temporal.run(history, timeout=60)
    asyncio.run(replayer([CartWorkflow]).replay_workflow(recorded))
    path.write_text(recorded.to_json())
