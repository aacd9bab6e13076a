"""Stop PostgreSQL (``pg_ctl stop -m immediate``: every session cut, no checkpoint) while sagas are inside their
activities, start it again: the activities retry, the workers' broken connections are replaced, and every order
completes."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from orders.models import Order
from partners.models import Partner
from payments.models import SandboxLedgerEntry
from tests.faults.processes import PostgresCluster, ProcessSupervisor, app_env, poll_until, start_workers
from tests.integration.orders.helpers import (
    FINAL,
    assert_orders_consistent,
    fresh_keys,
    order_body,
    place_orders,
    seed_sku,
    wait_for_all,
)
from tests.temporal_env import settings_override

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.faults, pytest.mark.slow]

SAGAS = 20


def failed_authorizations(worker_log: str) -> int:
    """Authorization attempts the worker reported as failed (the SDK logs one line per failed attempt)."""
    return sum(
        "Completing activity as failed" in line and "'payment.authorize'" in line for line in worker_log.splitlines()
    )


def test_postgres_stopped_mid_activity_and_started_again_completes_every_order(
    private_postgres: PostgresCluster, temporal_server: str, supervisor: ProcessSupervisor
) -> None:
    seed_sku("PG-1", on_hand=SAGAS)
    partner = Partner.objects.create(name="pg-restart")
    queue = f"orders-pg-{uuid.uuid4().hex[:8]}"  # only the subprocess workers poll it
    env = app_env(
        database_url=private_postgres.url,
        temporal_address=temporal_server,
        ORDER_TASK_QUEUE=queue,
        CART_TASK_QUEUE=f"carts-pg-{uuid.uuid4().hex[:8]}",
        SANDBOX_SLOW_SECONDS="5",
    )
    start_workers(supervisor, "workers", env)
    with settings_override(ORDER_TASK_QUEUE=queue):
        numbers = place_orders(partner, order_body("PG-1", token="pm_card_slow"), fresh_keys("pg", SAGAS))
    in_flight = Order.objects.filter(number__in=numbers).exclude(status__in=FINAL).count()
    mid_authorization = SandboxLedgerEntry.objects.filter(status=SandboxLedgerEntry.Status.PENDING).count()
    assert in_flight == SAGAS, f"only {in_flight} of {SAGAS} sagas were in flight when PostgreSQL stopped"
    assert mid_authorization > 0, "no activity was running when PostgreSQL stopped"

    private_postgres.stop(mode="immediate")
    # The slow authorizations wake up to a dead server: keep it down until every one of them has failed on it.
    poll_until(
        lambda: failed_authorizations(supervisor.log("workers")) >= mid_authorization,
        timeout=90,
        what="every running authorization failing on the stopped database",
    )
    private_postgres.start()
    # This process's own connections died with the server too: drop them (with the pool that holds them) rather
    # than let the pool find each one broken in turn (it backs off between checks).
    connection.close()
    connection.close_pool()

    failed_attempts = failed_authorizations(supervisor.log("workers"))
    statuses = wait_for_all(numbers, timeout=180)
    assert statuses == {"confirmed": SAGAS}
    assert assert_orders_consistent(numbers) == statuses
    print(
        f"postgres restart: {in_flight} in flight, {mid_authorization} authorizations mid-call, "
        f"{failed_attempts} attempts failed on the dead database, {statuses}"
    )
