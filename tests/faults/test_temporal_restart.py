"""Kill -9 the Temporal server mid-flight and start it again on the same database file and port: the workers
(a separate ``manage.py run_workers`` process) and this process's client reconnect, and every saga completes."""

from __future__ import annotations

import pytest

from orders.models import Order
from partners.models import Partner
from tests.faults.processes import DevServer, ProcessSupervisor, app_env, current_database_url, start_workers
from tests.integration.orders.helpers import (
    FINAL,
    assert_orders_consistent,
    fresh_keys,
    order_body,
    place_orders,
    seed_sku,
    wait_for_all,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.faults, pytest.mark.slow]

SAGAS = 20


def test_temporal_server_killed_and_restarted_mid_flight_completes_every_order(
    transactional_db: None, dedicated_temporal: DevServer, supervisor: ProcessSupervisor
) -> None:
    seed_sku("TMP-1", on_hand=SAGAS + 5)
    partner = Partner.objects.create(name="restart")
    env = app_env(
        database_url=current_database_url(), temporal_address=dedicated_temporal.address, SANDBOX_SLOW_SECONDS="6"
    )
    start_workers(supervisor, "workers", env)
    body = order_body("TMP-1", token="pm_card_slow")
    numbers = place_orders(partner, body, fresh_keys("tmp", SAGAS))
    in_flight = Order.objects.filter(number__in=numbers).exclude(status__in=FINAL).count()
    assert in_flight == SAGAS, f"only {in_flight} of {SAGAS} sagas were in flight at the kill"

    dedicated_temporal.kill()
    dedicated_temporal.start()  # same --db-filename and port: the histories are still there

    # This process's client reconnects too: new orders go through the restarted server.
    numbers += place_orders(partner, order_body("TMP-1"), fresh_keys("tmp-after", 5))
    statuses = wait_for_all(numbers, timeout=180)
    assert statuses == {"confirmed": SAGAS + 5}
    assert assert_orders_consistent(numbers) == statuses
    assert supervisor.processes["workers"].poll() is None, "the worker process died instead of reconnecting"
    print(f"temporal restart: {in_flight} in flight at the kill, {statuses}")
