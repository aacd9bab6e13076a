"""A cart outlives its worker and its Temporal server (the dev server's database file)."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection
from temporalio.testing import WorkflowEnvironment

from oms_project import temporal
from oms_project.binaries import temporal_cli_path
from tests.temporal_env import RunningWorkers, settings_override, start_dev_server

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.slow]


def _queues() -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    return {"cart": f"carts-fault-{suffix}", "order": f"orders-fault-{suffix}"}


async def _restart_dev_server(address: str, db_file: str) -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli_path(),
        ip="127.0.0.1",
        port=int(address.rsplit(":", 1)[1]),
        dev_server_log_level="error",
        dev_server_extra_args=["--db-filename", db_file],
    )


def _lines(api, cart_id: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    response = api.get(f"/api/v1/carts/{cart_id}/")
    assert response.status_code == 200, response.content
    return {line["sku"]: line["quantity"] for line in response.json()["lines"]}


def test_cart_survives_a_worker_restart(api, skus, temporal_loop, temporal_server) -> None:  # type: ignore[no-untyped-def]
    client = temporal_loop.run(temporal.connect(temporal_server))
    queues = _queues()
    workers = RunningWorkers(temporal_loop, client, task_queues=queues)
    try:
        with settings_override(CART_TASK_QUEUE=queues["cart"]):
            cart_id = api.new_cart()
            api.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "TEE-S", "quantity": 2})
            workers.stop()

            def add_mug() -> int:
                try:
                    return api.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "MUG", "quantity": 1}).status_code
                finally:
                    connection.close()

            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(add_mug)  # accepted by the server, waits for a worker
                time.sleep(1.5)
                assert not pending.done()
                workers = RunningWorkers(temporal_loop, client, task_queues=queues)
                assert pending.result(timeout=60) == 200
            assert _lines(api, cart_id) == {"TEE-S": 2, "MUG": 1}
    finally:
        workers.stop()


def test_cart_survives_a_temporal_dev_server_restart(api, skus, temporal_loop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db_file = str(tmp_path / "temporal.sqlite")
    queues = _queues()
    env = temporal_loop.run(start_dev_server(extra_args=("--db-filename", db_file)))
    workers = RunningWorkers(temporal_loop, env.client, task_queues=queues)
    old_address = settings.TEMPORAL_ADDRESS
    try:
        with settings_override(CART_TASK_QUEUE=queues["cart"]):
            settings.TEMPORAL_ADDRESS = env.client.service_client.config.target_host
            temporal.bridge.reset()
            cart_id = api.new_cart()
            api.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "TEE-S", "quantity": 3})
            api.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "MUG", "quantity": 2})

            workers.stop()
            temporal_loop.run(env.shutdown())
            # Same file, same port: the web process's long-lived client reconnects by itself (no bridge reset).
            env = temporal_loop.run(_restart_dev_server(settings.TEMPORAL_ADDRESS, db_file))
            workers = RunningWorkers(temporal_loop, env.client, task_queues=queues)

            assert _lines(api, cart_id) == {"TEE-S": 3, "MUG": 2}
            response = api.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "MUG", "quantity": 1})
            assert response.status_code == 200, response.content
            assert _lines(api, cart_id) == {"TEE-S": 3, "MUG": 3}
    finally:
        workers.stop()
        temporal_loop.run(env.shutdown())
        settings.TEMPORAL_ADDRESS = old_address
        temporal.bridge.reset()
