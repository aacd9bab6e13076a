"""Returns under faults: kill -9 the worker process while refunds run, and kill -9 / restart the Temporal server
with returns in flight. Each return refunds exactly once (the sandbox PSP's ledger), no unit is restocked twice
(the stock ledger), and every return still ends ``refunded``."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from catalog.models import StockMovement
from orders import services as order_services
from partners.models import Partner
from payments.models import SandboxLedgerEntry
from returns import services
from returns.models import Return
from tests.faults.processes import DevServer, ProcessSupervisor, app_env, current_database_url, start_workers
from tests.integration.orders.helpers import (
    fresh_keys,
    ledger_matches_levels,
    order_body,
    place_orders,
    seed_sku,
    wait_for_all,
)
from tests.temporal_env import settings_override

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.faults, pytest.mark.slow]

RETURNS = 12
Refund = SandboxLedgerEntry.Operation.REFUND


def delivered_orders(partner: Partner, sku: str, count: int, prefix: str) -> list[str]:
    numbers = place_orders(partner, order_body(sku, quantity=2), fresh_keys(prefix, count))
    wait_for_all(numbers, {"confirmed"}, timeout=180)
    for number in numbers:
        order_services.order_ship(number=number, carrier="DHL", tracking_number=f"T-{number}", actor="test")
    wait_for_all(numbers, {"shipped"}, timeout=180)
    for number in numbers:
        order_services.order_record_delivery_event(
            number=number,
            event_id=f"d-{number}",
            status="delivered",
            occurred_at=timezone.now().isoformat(),
            actor="test",
        )
    wait_for_all(numbers, {"delivered"}, timeout=180)
    return numbers


def approved_returns(numbers: list[str]) -> list[str]:
    ids = []
    for number in numbers:
        order = order_services.order_get(number=number)
        assert order is not None
        ret = services.return_request(
            order=order,
            lines=[{"sku": order.lines.get().sku, "quantity": 2}],
            reason="damaged",
            actor="test",
            idempotency_key=f"fault-{uuid.uuid4().hex}",
        )
        services.return_approve(ret=ret, actor="staff:test")
        ids.append(ret.pk)
    assert set(Return.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"approved"}
    return ids


def receive_all(ids: list[str]) -> None:
    """Receive every return at once; each call answers once its workflow accepted the step (0 s wait)."""

    def receive(return_id: str) -> None:
        try:
            services.return_receive(ret=Return.objects.get(pk=return_id), lines=None, actor="test", wait_seconds=0)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(receive, ids))


def wait_refunded(ids: list[str], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while Return.objects.filter(pk__in=ids).exclude(status="refunded", pending_action="").exists():
        if time.monotonic() > deadline:
            left = Counter(Return.objects.filter(pk__in=ids).values_list("status", flat=True))
            raise AssertionError(f"returns not refunded after {timeout}s: {dict(left)}")
        time.sleep(0.25)


def assert_refunded_exactly_once(ids: list[str], sku: str) -> None:
    returns = list(Return.objects.filter(pk__in=ids).select_related("order"))
    numbers = [ret.order.number for ret in returns]
    refunds = SandboxLedgerEntry.objects.filter(
        order_number__in=numbers, operation=Refund, status=SandboxLedgerEntry.Status.SUCCEEDED
    )
    per_order = Counter(refunds.values_list("order_number", flat=True))
    assert per_order == Counter(numbers), f"orders refunded other than once: {per_order}"
    amounts = dict(refunds.values_list("order_number", "amount"))
    for ret in returns:
        assert ret.refunded_amount == ret.refund_amount == amounts[ret.order.number] > Decimal("0")
        ret.order.refresh_from_db()
        assert ret.order.refunded_amount == ret.refund_amount
    restocked = StockMovement.objects.filter(reference__in=numbers, kind=StockMovement.Kind.RESTOCK)
    assert restocked.aggregate(units=Sum("on_hand_delta"))["units"] == 2 * len(ids)  # each unit back once
    assert ledger_matches_levels(sku)


def test_killing_the_worker_while_refunds_run_refunds_each_return_once_and_restocks_once(
    live_oms, temporal_server: str, supervisor: ProcessSupervisor
) -> None:
    seed_sku("RFK-1", on_hand=2 * RETURNS)
    partner = Partner.objects.create(name="return-kill")
    numbers = delivered_orders(partner, "RFK-1", RETURNS, "rfk")  # on this process's workers
    queue = f"returns-kill-{uuid.uuid4().hex[:8]}"  # only the subprocess workers poll it
    env = app_env(database_url=current_database_url(), temporal_address=temporal_server, ORDER_TASK_QUEUE=queue)
    start_workers(supervisor, "workers-1", env)
    with settings_override(ORDER_TASK_QUEUE=queue):
        ids = approved_returns(numbers)
    receive_all(ids)
    refunds = SandboxLedgerEntry.objects.filter(order_number__in=numbers, operation=Refund)
    deadline = time.monotonic() + 60
    while not refunds.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    supervisor.kill("workers-1")
    not_refunded = Return.objects.filter(pk__in=ids).exclude(status="refunded").count()
    at_kill = refunds.count()
    assert not_refunded > 0, "every refund had finished before the kill: nothing was proven"

    start_workers(supervisor, "workers-2", env)
    wait_refunded(ids)
    supervisor.terminate("workers-2")
    assert_refunded_exactly_once(ids, "RFK-1")
    print(f"return worker kill: {not_refunded} of {RETURNS} returns not refunded at the kill, {at_kill} refunds begun")


def test_temporal_restarted_with_returns_in_flight_refunds_each_once(
    transactional_db: None, dedicated_temporal: DevServer, supervisor: ProcessSupervisor
) -> None:
    seed_sku("RFT-1", on_hand=2 * RETURNS)
    partner = Partner.objects.create(name="return-restart")
    env = app_env(database_url=current_database_url(), temporal_address=dedicated_temporal.address)
    start_workers(supervisor, "workers", env)
    numbers = delivered_orders(partner, "RFT-1", RETURNS, "rft")
    ids = approved_returns(numbers)
    receive_all(ids)
    dedicated_temporal.kill()
    in_flight = Return.objects.filter(pk__in=ids).exclude(status="refunded").count()
    dedicated_temporal.start()  # same database file and port: every return's history is still there

    wait_refunded(ids)
    assert_refunded_exactly_once(ids, "RFT-1")
    assert supervisor.processes["workers"].poll() is None, "the worker process died instead of reconnecting"
    print(f"return temporal restart: {in_flight} of {RETURNS} returns not refunded at the kill")
