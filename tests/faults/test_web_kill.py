"""Kill -9 the web process (gunicorn) between accepting an order and starting its workflow.

No hook in the app: the Temporal server is frozen (SIGSTOP), so ``POST /api/v1/orders/`` blocks after claiming
its Idempotency-Key (orders/idempotency.py) and before the workflow starts. Then the web dies, Temporal is
thawed, a new web starts and the client retries with the same key: exactly one order, confirmed, authorized
once. An order whose client never retries leaves nothing behind but what a recorded order holds.
"""

from __future__ import annotations

import json
import signal
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest
from temporalio.client import Client

from catalog.models import StockMovement
from oms_project import temporal
from oms_project.errors import NotFound
from orders.contracts import order_workflow_id
from orders.models import IdempotencyRecord, Order
from orders.services import order_number_for
from partners.models import Partner
from partners.services import api_key_create
from payments.models import Payment, SandboxLedgerEntry
from tests.faults.processes import (
    DevServer,
    ProcessSupervisor,
    app_env,
    current_database_url,
    poll_until,
    start_web,
    start_workers,
)
from tests.integration.orders.helpers import assert_orders_consistent, order_body, seed_sku, wait_for_all

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.faults, pytest.mark.slow]


def post_json(url: str, body: dict[str, Any], headers: dict[str, str], timeout: float = 120) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def ready(base_url: str) -> bool:
    """/readyz answers 200 once the web reached the database and Temporal (its client is then connected)."""
    with urllib.request.urlopen(base_url + "/readyz", timeout=10) as response:
        return response.status == 200


def claims_waiting(partner: Partner, keys: list[str]) -> dict[str, IdempotencyRecord] | None:
    claims = IdempotencyRecord.objects.filter(partner=partner, key__in=keys, state=IdempotencyRecord.State.IN_FLIGHT)
    found = {claim.key: claim for claim in claims}
    return found if len(found) == len(keys) else None


def workflow_exists(number: str) -> bool:
    async def describe(client: Client) -> None:
        await client.get_workflow_handle(order_workflow_id(number)).describe()

    try:
        temporal.run(describe)
    except NotFound:
        return False
    return True


def test_web_killed_before_the_workflow_starts_a_retry_with_the_same_key_makes_exactly_one_order(
    transactional_db: None, dedicated_temporal: DevServer, supervisor: ProcessSupervisor
) -> None:
    seed_sku("WEB-1", on_hand=10)
    raw_key = api_key_create(partner_name="webkill", scopes=["orders"]).raw_key
    partner = Partner.objects.get(name="webkill")
    env = app_env(
        database_url=current_database_url(),
        temporal_address=dedicated_temporal.address,
        # A request stuck on Temporal must still be stuck when the web is killed, however loaded the machine.
        TEMPORAL_RPC_TIMEOUT_SECONDS="60",
        # A claim of a dead request may be taken over this soon (the default is a minute).
        ORDER_IDEMPOTENCY_STALE_SECONDS="3",
    )
    start_workers(supervisor, "workers", env)
    first_web = start_web(supervisor, "web-1", env)
    poll_until(lambda: ready(first_web), timeout=60, what="web-1 connected to Temporal")

    dedicated_temporal.supervisor.signal(dedicated_temporal.name, signal.SIGSTOP)
    body = order_body("WEB-1")
    headers = {"Authorization": f"Api-Key {raw_key}"}
    answers: dict[str, Any] = {}

    def post(key: str) -> None:
        try:
            answers[key] = post_json(first_web + "/api/v1/orders/", body, {**headers, "Idempotency-Key": key})
        except OSError as error:  # the connection dies with the web process
            answers[key] = error

    clients = [threading.Thread(target=post, args=(key,)) for key in ("retried", "abandoned")]
    for client in clients:
        client.start()
    claims = poll_until(
        lambda: claims_waiting(partner, ["retried", "abandoned"]),
        timeout=60,
        what="both requests claimed their key and wait for Temporal",
    )
    supervisor.kill("web-1")
    for client in clients:
        client.join(30)
    assert all(isinstance(answer, OSError) for answer in answers.values()), answers  # nobody got an answer
    dedicated_temporal.supervisor.signal(dedicated_temporal.name, signal.SIGCONT)

    second_web = start_web(supervisor, "web-2", env)
    retries = 0

    def retry() -> Any:
        nonlocal retries
        retries += 1
        status, answer = post_json(second_web + "/api/v1/orders/", body, {**headers, "Idempotency-Key": "retried"})
        assert status in (201, 409), (status, answer)  # 409: the dead request's claim is not stale yet
        if status == 409:
            assert answer["code"] == "idempotency_request_in_flight", answer
        return answer if status == 201 else None

    created = poll_until(retry, timeout=90, what="the retry creating the order", interval=1)
    retried_number = order_number_for(f"idem:{claims['retried'].pk}")
    assert created["number"] == retried_number  # the takeover reused the dead request's service key

    assert wait_for_all([retried_number], timeout=120) == {"confirmed": 1}

    abandoned_number = order_number_for(f"idem:{claims['abandoned'].pk}")
    # The abandoned request's bytes may have reached the frozen server and started its workflow after the thaw:
    # then it is a normal order. Otherwise nothing may exist for it.
    abandoned_started = workflow_exists(abandoned_number)
    numbers = [retried_number, *([abandoned_number] if abandoned_started else [])]
    statuses = wait_for_all(numbers, timeout=120)
    assert statuses == {"confirmed": len(numbers)}
    assert Order.objects.filter(partner=partner).count() == len(numbers)
    if not abandoned_started:
        assert not Order.objects.filter(number=abandoned_number).exists()
        assert not StockMovement.objects.filter(reference=abandoned_number).exists()
        assert not SandboxLedgerEntry.objects.filter(order_number=abandoned_number).exists()
        assert not Payment.objects.filter(order_number=abandoned_number).exists()
    assert assert_orders_consistent(numbers) == statuses
    print(
        f"web kill: retried order {statuses} after {retries} retries; "
        f"abandoned request {'started its workflow' if abandoned_started else 'left nothing'}"
    )
