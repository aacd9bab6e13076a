"""Kill -9 the project's own worker process (``manage.py run_workers``) mid-saga and start a new one.

Also the proof that ``run_workers`` runs real workflows writing to PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from orders import services
from orders.models import Order
from partners.models import Partner
from payments.selectors import sandbox_ledger_summary
from tests.integration.orders.helpers import ledger_matches_levels, order_body, seed_sku, stock, wait_for
from tests.temporal_env import settings_override

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.faults, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]


def start_workers(env: dict[str, str]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_workers", "--queue", "order"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ready = threading.Event()
    output: list[str] = []

    def drain() -> None:  # keep reading so the pipe never fills and blocks the worker
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if "Workers polling" in line:
                ready.set()

    threading.Thread(target=drain, daemon=True).start()
    if not ready.wait(60):
        process.kill()
        raise AssertionError("run_workers did not start:\n" + "".join(output))
    return process


def test_killing_the_worker_mid_saga_loses_no_order_and_charges_nobody_twice(live_oms, temporal_server) -> None:
    seed_sku("SLOW-1", on_hand=50)
    partner = Partner.objects.create(name="kill")
    db = connection.settings_dict
    queue = f"orders-kill-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "TEMPORAL_ADDRESS": temporal_server,
        "ORDER_TASK_QUEUE": queue,
        "CART_TASK_QUEUE": f"carts-kill-{uuid.uuid4().hex[:8]}",
        "SANDBOX_SLOW_SECONDS": "4",
    }
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    body = order_body("SLOW-1", token="pm_card_slow")

    def place(index: int) -> str:
        try:
            return services.order_place(
                partner=partner,
                channel="api",
                lines=body["lines"],
                contact=body["customer"],
                shipping_address=body["shipping_address"],
                delivery=None,
                payment=body["payment"],
                idempotency_key=f"kill-{index}",
                actor="partner:kill",
            ).number
        finally:
            connection.close()

    first = start_workers(env)
    try:
        with settings_override(ORDER_TASK_QUEUE=queue), ThreadPoolExecutor(max_workers=6) as pool:
            numbers = list(pool.map(place, range(6)))
        time.sleep(1.5)  # the slow authorizations are now running inside the first worker
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    in_flight = Order.objects.filter(number__in=numbers, status="created").count()
    assert in_flight > 0, "the worker was killed after the sagas had finished; nothing was proven"

    second = start_workers(env)
    try:
        orders = [wait_for(number, timeout=120) for number in numbers]
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)

    assert {o.status for o in orders} <= {"confirmed", "failed"}
    confirmed = {o.number for o in orders if o.status == "confirmed"}
    ledger = sandbox_ledger_summary(order_numbers=numbers)
    assert ledger.charged_twice == []
    assert all(ledger.authorizations[number] <= 1 for number in numbers)
    assert ledger.orders_charged == confirmed
    assert stock("SLOW-1") == (50, len(confirmed))
    assert ledger_matches_levels("SLOW-1")
    assert queue != settings.ORDER_TASK_QUEUE  # the override did not leak
