"""CartWorkflow on the time-skipping server with the project's real workers and activities."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from temporalio.client import WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy

from carts.contracts import (
    AddItemInput,
    CartView,
    CartWorkflowInput,
    RemoveItemInput,
    SetQuantityInput,
    cart_workflow_id,
)
from carts.models import Cart
from carts.workflows import CartWorkflow
from tests.integration.carts.seed import seed_variant
from tests.temporal_env import workers_on

pytestmark = pytest.mark.django_db(transaction=True)

IDLE = timedelta(hours=1)


async def _new_cart(client, queue: str, *, max_history_events: int = 5000):  # type: ignore[no-untyped-def]
    cart = await sync_to_async(Cart.objects.create)(session_key="s" * 32, currency="EUR")
    inp = CartWorkflowInput(
        cart_id=cart.cart_id,
        currency="EUR",
        idle_timeout_seconds=IDLE.total_seconds(),
        max_history_events=max_history_events,
    )
    handle = await client.start_workflow(
        CartWorkflow.run,
        inp,
        id=cart_workflow_id(cart.cart_id),
        task_queue=queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    return cart, handle


async def _status(cart: Cart) -> str:
    await sync_to_async(cart.refresh_from_db)()
    return cart.status


async def test_idle_cart_expires_after_the_idle_time_and_not_before(skip_env) -> None:  # type: ignore[no-untyped-def]
    await sync_to_async(seed_variant)("TEE-S")
    async with workers_on(skip_env.client) as queues:
        cart, handle = await _new_cart(skip_env.client, queues["cart"])
        await handle.execute_update(CartWorkflow.add_item, AddItemInput(sku="TEE-S", quantity=2))
        await skip_env.sleep(IDLE - timedelta(minutes=1))
        assert (await handle.query(CartWorkflow.get)).status == "open"
        assert await _status(cart) == "open"
        await skip_env.sleep(timedelta(minutes=2))
        final: CartView = await handle.result()
        assert final.status == "expired" and final.item_count == 2
        assert await _status(cart) == "expired"


async def test_a_mutation_pushes_the_expiry_back(skip_env) -> None:  # type: ignore[no-untyped-def]
    await sync_to_async(seed_variant)("TEE-S")
    async with workers_on(skip_env.client) as queues:
        cart, handle = await _new_cart(skip_env.client, queues["cart"])
        await skip_env.sleep(timedelta(minutes=40))
        view = await handle.execute_update(CartWorkflow.add_item, AddItemInput(sku="TEE-S", quantity=1))
        await skip_env.sleep(timedelta(minutes=25))  # 65 minutes after start, 25 after the mutation
        assert (await handle.query(CartWorkflow.get)).status == "open"
        assert (await handle.query(CartWorkflow.get)).expires_at == view.expires_at
        await skip_env.sleep(timedelta(minutes=30))  # 55 after the mutation
        assert (await handle.query(CartWorkflow.get)).status == "open"
        await skip_env.sleep(timedelta(minutes=10))
        assert (await handle.result()).status == "expired"
        assert await _status(cart) == "expired"


async def test_validators_refuse_bad_input_before_history(skip_env) -> None:  # type: ignore[no-untyped-def]
    await sync_to_async(seed_variant)("TEE-S")
    async with workers_on(skip_env.client) as queues:
        _, handle = await _new_cart(skip_env.client, queues["cart"])
        for update, arg, code in (
            (CartWorkflow.add_item, AddItemInput(sku="TEE-S", quantity=0), "invalid_quantity"),
            (CartWorkflow.add_item, AddItemInput(sku="TEE-S", quantity=1000), "invalid_quantity"),
            (CartWorkflow.set_quantity, SetQuantityInput(sku="TEE-S", quantity=-1), "invalid_quantity"),
            (CartWorkflow.remove_item, RemoveItemInput(sku=""), "unknown_sku"),
        ):
            with pytest.raises(WorkflowUpdateFailedError) as failed:
                await handle.execute_update(update, arg)
            assert failed.value.cause.type == code
        history = await handle.fetch_history()
        assert not [e for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes")]


async def test_continue_as_new_keeps_every_line(skip_env) -> None:  # type: ignore[no-untyped-def]
    skus = [f"CAN-{i}" for i in range(30)]
    for sku in skus:
        await sync_to_async(seed_variant)(sku, on_hand=50)
    async with workers_on(skip_env.client) as queues:
        cart, handle = await _new_cart(skip_env.client, queues["cart"], max_history_events=40)
        first_run = (await handle.describe()).run_id
        for i, sku in enumerate(skus):
            await handle.execute_update(CartWorkflow.add_item, AddItemInput(sku=sku, quantity=i % 7 + 1))
        await handle.execute_update(CartWorkflow.add_item, AddItemInput(sku="CAN-0", quantity=2))
        await handle.execute_update(CartWorkflow.remove_item, RemoveItemInput(sku="CAN-1"))
        view: CartView = await handle.query(CartWorkflow.get)
        latest = await skip_env.client.get_workflow_handle(handle.id).describe()
        assert latest.run_id != first_run  # it did continue as new (several times)
        expected = {sku: i % 7 + 1 for i, sku in enumerate(skus)}
        expected["CAN-0"] += 2
        del expected["CAN-1"]
        assert {line.sku: line.quantity for line in view.lines} == expected
        assert view.status == "open" and view.item_count == sum(expected.values())
        # The idle deadline travelled with the state: the cart still expires on time.
        await skip_env.sleep(IDLE + timedelta(minutes=1))
        assert await _status(cart) == "expired"


async def test_update_with_start_creates_the_workflow_once(skip_env) -> None:  # type: ignore[no-untyped-def]
    await sync_to_async(seed_variant)("TEE-S")
    async with workers_on(skip_env.client) as queues:
        cart_id = uuid.uuid4().hex
        inp = CartWorkflowInput(cart_id=cart_id, currency="EUR", idle_timeout_seconds=3600)

        async def add() -> CartView:
            op = WithStartWorkflowOperation(
                CartWorkflow.run,
                inp,
                id=cart_workflow_id(cart_id),
                task_queue=queues["cart"],
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
            return await skip_env.client.execute_update_with_start_workflow(
                CartWorkflow.add_item, AddItemInput(sku="TEE-S", quantity=1), start_workflow_operation=op
            )

        await add()
        view = await add()
        assert view.item_count == 2
