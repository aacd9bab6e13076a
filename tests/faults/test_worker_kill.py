"""Kill -9 the project's own worker process (``manage.py run_workers``) while 50 sagas are in flight, then start a
new one: every order completes, nobody is charged twice.

Also the proof that ``run_workers`` runs real workflows writing to PostgreSQL.
"""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings

from orders.models import Order
from partners.models import Partner
from payments.models import SandboxLedgerEntry
from tests.faults.processes import ProcessSupervisor, app_env, current_database_url, start_workers
from tests.integration.orders.helpers import (
    FINAL,
    assert_orders_consistent,
    fresh_keys,
    order_body,
    place_orders,
    seed_sku,
    stock,
    wait_for_all,
)
from tests.temporal_env import settings_override

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.faults, pytest.mark.slow]

SAGAS = 50


def test_killing_the_worker_with_50_sagas_in_flight_loses_no_order_and_charges_nobody_twice(
    live_oms, temporal_server: str, supervisor: ProcessSupervisor
) -> None:
    seed_sku("SLOW-1", on_hand=SAGAS)
    partner = Partner.objects.create(name="kill")
    queue = f"orders-kill-{uuid.uuid4().hex[:8]}"  # only the subprocess workers poll it
    env = app_env(
        database_url=current_database_url(),
        temporal_address=temporal_server,
        ORDER_TASK_QUEUE=queue,
        CART_TASK_QUEUE=f"carts-kill-{uuid.uuid4().hex[:8]}",
        # Longer than placing 50 orders takes on a loaded machine: none can finish before the kill.
        SANDBOX_SLOW_SECONDS="12",
    )
    start_workers(supervisor, "workers-1", env)
    with settings_override(ORDER_TASK_QUEUE=queue):
        numbers = place_orders(partner, order_body("SLOW-1", token="pm_card_slow"), fresh_keys("kill", SAGAS))
    in_flight = Order.objects.filter(number__in=numbers).exclude(status__in=FINAL).count()
    supervisor.kill("workers-1")
    interrupted_authorizations = SandboxLedgerEntry.objects.filter(
        order_number__in=numbers, status=SandboxLedgerEntry.Status.PENDING
    ).count()
    assert in_flight == SAGAS, f"only {in_flight} of {SAGAS} sagas were in flight at the kill: nothing was proven"

    start_workers(supervisor, "workers-2", env)
    statuses = wait_for_all(numbers, timeout=240)
    supervisor.terminate("workers-2")

    assert statuses == {"confirmed": SAGAS}
    assert assert_orders_consistent(numbers) == statuses
    assert stock("SLOW-1") == (SAGAS, SAGAS)
    assert queue != settings.ORDER_TASK_QUEUE  # the override did not leak
    print(f"worker kill: {in_flight} in flight, {interrupted_authorizations} authorizations cut mid-call, {statuses}")
