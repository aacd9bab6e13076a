"""Recorded CartWorkflow histories must replay on the current code (a change that breaks them needs patching).

Refresh after an intended, patched change: ``CART_RECORD_HISTORY=1 pytest tests/workflow/carts/test_cart_replay.py``.
"""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from carts.contracts import (
    AddItemInput,
    CartWorkflowInput,
    CheckoutInput,
    LineInput,
    MergeInput,
    RemoveItemInput,
    SetQuantityInput,
    cart_workflow_id,
)
from carts.models import Cart
from carts.workflows import CartWorkflow
from oms_project.workers import workflow_runner
from tests.integration.carts.seed import seed_variant
from tests.temporal_env import workers_on

HISTORIES = Path(__file__).parent / "histories"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.environ.get("CART_RECORD_HISTORY"), reason="records histories only on request")
async def test_record_histories(skip_env) -> None:  # type: ignore[no-untyped-def]
    for sku in ("R-1", "R-2"):
        await sync_to_async(seed_variant)(sku)
    async with workers_on(skip_env.client) as queues:
        for name, steps in (("checkout", True), ("expiry", False)):
            cart = await sync_to_async(Cart.objects.create)(session_key="r" * 32, currency="EUR")
            handle = await skip_env.client.start_workflow(
                CartWorkflow.run,
                CartWorkflowInput(cart_id=cart.cart_id, currency="EUR", idle_timeout_seconds=3600),
                id=cart_workflow_id(cart.cart_id),
                task_queue=queues["cart"],
            )
            await handle.execute_update(CartWorkflow.add_item, AddItemInput(sku="R-1", quantity=2))
            await handle.execute_update(CartWorkflow.set_quantity, SetQuantityInput(sku="R-2", quantity=3))
            await handle.execute_update(CartWorkflow.remove_item, RemoveItemInput(sku="R-2"))
            await handle.execute_update(
                CartWorkflow.merge,
                MergeInput(source_cart_id=uuid.uuid4().hex, lines=[LineInput(sku="R-2", quantity=1)]),
            )
            if steps:
                await handle.execute_update(CartWorkflow.checkout, CheckoutInput(idempotency_key="k"))
            else:
                await skip_env.sleep(timedelta(hours=2))
            await handle.result()
            (HISTORIES / f"cart_{name}.json").write_text((await handle.fetch_history()).to_json())


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
async def test_recorded_histories_replay(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    await Replayer(workflows=[CartWorkflow], workflow_runner=workflow_runner()).replay_workflow(history)
