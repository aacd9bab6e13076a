"""Customer data never reaches the Temporal server in clear (issue #20 item 7): an order run through the real dev
server with TEMPORAL_PAYLOAD_KEYS set, its stored history read back raw, then decrypted and replayed."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async
from temporalio.client import Client

from oms_project import temporal, workers
from oms_project.payload_codec import EncryptionCodec, configured_codec, new_key_entry
from orders.contracts import CancelInput, order_workflow_id
from orders.workflows import OrderWorkflow
from tests.integration.orders.helpers import seed_sku
from tests.temporal_env import on_test_queues, settings_override, workers_on
from tests.workflow.orders.test_order_workflow import prepare

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

IN_CLEAR = [b"ada@example.com", b"Ada Lovelace", b"1 Main St", b"10115", b"pm_card_ok"]


async def test_an_orders_stored_history_holds_no_customer_data_in_clear(temporal_server: str) -> None:
    with settings_override(TEMPORAL_PAYLOAD_KEYS=[new_key_entry("test")]):
        codec = configured_codec()
        assert isinstance(codec, EncryptionCodec)
        client = await temporal.connect(temporal_server)  # the project's client: it encrypts
        await sync_to_async(seed_sku)("ENC-1", 3)
        order = await sync_to_async(prepare)("ENC-1", f"enc-{uuid.uuid4().hex[:8]}")
        async with workers_on(client) as queues:  # the project's workers on that client decrypt
            handle = await client.start_workflow(
                OrderWorkflow.run,
                on_test_queues(order, queues),
                id=order_workflow_id(order.number),
                task_queue=queues["order"],
            )
            for _ in range(200):
                if (await handle.query(OrderWorkflow.progress)).step == "awaiting_shipment":
                    break
                await asyncio.sleep(0.05)
            await handle.execute_update(OrderWorkflow.cancel, CancelInput(reason="test", actor="test"))
            assert await handle.result() == "cancelled"

        # What the server stores, read by a client without the key.
        plain_client = await Client.connect(temporal_server)
        history = await plain_client.get_workflow_handle(handle.id).fetch_history()
        raw = history.to_json().encode() + b"".join(event.SerializeToString() for event in history.events)
        for secret in IN_CLEAR:
            assert secret not in raw, secret
        started = history.events[0].workflow_execution_started_event_attributes.input.payloads
        assert b"ada@example.com" in b"".join(p.SerializeToString() for p in codec.decode_now(started))

        await workers.replayer([OrderWorkflow]).replay_workflow(history)
