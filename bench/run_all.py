"""The whole benchmark in one command, on PostgreSQL, written as one table into docs/benchmarks.md.

    python bench/run_all.py [--sustained-seconds 60] [--levers] [--no-write]

Creates a fresh PostgreSQL database (``BENCH_POSTGRES_URL``, default postgres://postgres@127.0.0.1:5432/postgres,
is only used to create and drop it) and runs the embedded stack (bench/stack.py) against it three times, each
stack as separate processes with the load from this process over loopback:

A. gunicorn 2x8, 1 x run_workers: cart adds (concurrency 1 and 16) and the no-op cart update ceiling (the same
   HTTP + bridge + update + local activity path without the cart's work, bench/noop_cart.py); orders placed ->
   confirmed at 5/s, a ramp, the best rate held for ``--sustained-seconds``; the same steps as one synchronous
   request without Temporal (bench/sync_checkout.py); product list and order list (20 rows) with their floors (the
   same rows from a minimal DRF list and from a plain Django view, bench/floors.py); the raw Temporal ceiling (the
   no-op saga of the order's shape, the order's floor) and a naive saga (the same steps as regular activities).
B. the same with 2 x run_workers: the order ramp and the sustained rate.
C. granian 2x8 instead of gunicorn: lists and cart adds at concurrency 16.
Every row also gets the CPU its phase cost the stack per operation, the SQL statements per operation of the web and
of the workers (bench/statements.py), and the machine's busy share (CpuWindow in bench/stack.py), so a target that is
not met shows whether the machine's cores were the limit. The goals of issue #19 are printed as ratios of CPU per
operation to the floors of the same run.
``--levers`` adds D (DATABASE_PREPARED_STATEMENTS=false: Django's client-side parameters, no prepared statements)
and E (WORKER_WORKFLOW_RUNNER=unsandboxed), each against A's numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from temporalio.client import Client
from temporalio.worker import Worker

from bench import cart_bench, order_bench
from bench.cart_bench import ApiClient, load_average, machine
from bench.noop_saga import NOOP_PLAN, NaiveSaga, NoopSaga, noop
from bench.stack import ROOT, CpuWindow, Stack, log

SECTION_START, SECTION_END = "<!-- run-all:start -->", "<!-- run-all:end -->"
ORDER_BODY = {
    "customer": {"email": "bench@example.com", "name": "Bench"},
    "shipping_address": {"name": "B", "line1": "1 St", "city": "X", "postal_code": "1", "country": "DE"},
    "payment": {"method": "card", "token": "pm_card_ok"},
}
SEED_SKUS = order_bench.SKUS + cart_bench.SKUS
RUN_TAG = uuid.uuid4().hex[:6]  # no-op cart workflow ids of this run
PRODUCTS, ORDERS = "product list (API, 20 of 25 products)", "order list (API, 20 rows)"
PRODUCTS_DRF, ORDERS_DRF = "minimal DRF list, same 20 products (floor)", "minimal DRF list, same 20 orders (floor)"
PRODUCTS_RAW, ORDERS_RAW = "plain Django view, same 20 products (floor)", "plain Django view, same 20 orders (floor)"
PRODUCTS_NESTED = "minimal DRF list, same 20 products with their variants, stock and pictures (floor)"
ORDERS_NESTED = "minimal DRF list, same 20 orders with their lines and events (floor)"
LIST_FLOORS = (
    (PRODUCTS_DRF, "/bench/floor/drf/products/"),
    (ORDERS_DRF, "/bench/floor/drf/orders/"),
    (PRODUCTS_NESTED, "/bench/floor/nested/products/"),
    (ORDERS_NESTED, "/bench/floor/nested/orders/"),
    (PRODUCTS_RAW, "/bench/floor/raw/products/"),
    (ORDERS_RAW, "/bench/floor/raw/orders/"),
)
# 25 products of 3 variants each, stock in two warehouses, like the catalog's own query-count test.
SEED_CATALOG = """
from decimal import Decimal
from catalog.models import Product, StockLevel, Variant, Warehouse
warehouses = [Warehouse.objects.get_or_create(code=c, defaults={"name": c, "priority": 5})[0] for c in ("la", "lb")]
for i in range(25):
    product, _ = Product.objects.get_or_create(slug=f"list-{i}", defaults={"name": f"List product {i}"})
    for size in ("S", "M", "L"):
        v, _ = Variant.objects.get_or_create(
            sku=f"LIST-{i}-{size}", defaults=dict(product=product, name=size, price=Decimal("5.00"), currency="EUR"))
        for wh in warehouses:
            StockLevel.objects.get_or_create(variant=v, warehouse=wh, defaults={"on_hand": 7})
"""


# --- a fresh PostgreSQL database -----------------------------------------------------------------------------
class BenchDatabase:
    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"oms_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        parts = urlsplit(admin_url)
        self.url = urlunsplit(parts._replace(path="/" + self.name))

    def __enter__(self) -> BenchDatabase:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        log(f"created database {self.name}")
        return self

    def __exit__(self, *exc: object) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.name],
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
        log(f"dropped database {self.name}")

    def order_results(self, numbers: list[str]) -> dict:
        with psycopg.connect(self.url) as conn:
            rows = conn.execute(
                "SELECT number, status, extract(epoch FROM updated_at) FROM orders_order WHERE number = ANY(%s)",
                [numbers],
            ).fetchall()
        return {number: [status, float(at)] for number, status, at in rows}

    def duplicated(self, numbers: list[str], since: float) -> int:
        """Orders placed twice or charged twice in a phase: orders created since ``since`` (epoch) whose number
        the API never answered (a retried POST that made a second order), plus answered orders with more than one
        successful authorization at the PSP."""
        with psycopg.connect(self.url) as conn:
            unanswered = conn.execute(
                "SELECT count(*) FROM orders_order WHERE created_at >= to_timestamp(%s) AND NOT number = ANY(%s)",
                [since, numbers],
            ).fetchone()[0]
            authorized_twice = conn.execute(
                "SELECT count(*) FROM (SELECT order_number FROM payments_sandboxledgerentry WHERE operation = "
                "'authorize' AND status = 'succeeded' AND order_number = ANY(%s) GROUP BY order_number "
                "HAVING count(*) > 1) AS twice",
                [numbers],
            ).fetchone()[0]
        return unanswered + authorized_twice


# --- closed-loop HTTP load ---------------------------------------------------------------------------------
Request = Callable[[ApiClient, int, int], int]  # (client, client index, request index) -> HTTP status


def closed_loop(stack: Stack, key: str, concurrency: int, seconds: float, request: Request) -> dict:
    """``concurrency`` keep-alive clients, each sending the next request when the last answered; with the CPU the
    measured part cost the stack (``cpu_ms_op``) and the machine's busy share (``busy_pct``)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    warm, go = threading.Barrier(concurrency + 1, timeout=120), threading.Barrier(concurrency + 1, timeout=120)
    stop_at = 0.0

    def client(index: int) -> None:
        nonlocal errors
        api = ApiClient(stack.web_port, key)
        try:
            for i in range(3):  # warm the connection and the worker
                request(api, index, -1 - i)
        except BaseException:
            warm.abort()
            raise
        warm.wait()
        go.wait()  # the CPU window has started
        mine, bad, i = [], 0, 0
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            status = request(api, index, i)
            mine.append((time.perf_counter() - start) * 1000)
            bad += status >= 400
            i += 1
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    warm.wait()
    with CpuWindow(stack) as cpu:
        started = time.perf_counter()
        stop_at = started + seconds
        go.wait()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": statistics.median(latencies),
        "p95_ms": order_bench.percentile(latencies, 0.95),
        "p99_ms": order_bench.percentile(latencies, 0.99),
        "rate": len(latencies) / elapsed,
        "cpu_ms_op": cpu.ms_per_op(len(latencies)),
        "busy_pct": cpu.busy_pct,
        **statements_per_op(cpu, len(latencies)),
    }


def statements_per_op(cpu: CpuWindow, ops: int) -> dict[str, float]:
    """SQL statements per operation of the web and the worker processes over the phase (bench/statements.py)."""
    return {"sql_web_op": cpu.statements_per_op("web", ops), "sql_worker_op": cpu.statements_per_op("worker", ops)}


def clients(count: int) -> str:
    return "1 client" if count == 1 else f"{count} clients"


def get(path: str) -> Request:
    def request(api: ApiClient, client: int, i: int) -> int:
        return api.call("GET", path)[0]

    return request


def sync_checkout(api: ApiClient, client: int, i: int) -> int:
    sku = order_bench.SKUS[(client * 100000 + i) % len(order_bench.SKUS)]
    return api.call("POST", "/bench/sync-checkout/", {"lines": [{"sku": sku, "quantity": 1}], **ORDER_BODY})[0]


# --- the table ---------------------------------------------------------------------------------------------
class Table:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, workload: str, stack: str, **values: Any) -> dict[str, Any]:
        row = {"workload": workload, "stack": stack, **values}
        self.rows.append(row)
        shown = ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items())
        log(f"  {workload} [{stack}]: {shown}")
        return row

    def markdown(self) -> list[str]:
        def cell(row: dict, name: str, digits: int = 0) -> str:
            value = row.get(name)
            return "" if value is None or value != value else f"{value:.{digits}f}"

        lines = [
            "| workload | stack | load | requests | errors | p50 ms | p95 ms | p99 ms | throughput /s "
            "| CPU ms/op (stack) | SQL/op web | SQL/op worker | machine busy % |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in self.rows:
            lines.append(
                f"| {r['workload']} | {r['stack']} | {r.get('load', '')} | {r.get('requests', '')} | "
                f"{r.get('errors', '')} | {cell(r, 'p50_ms')} | {cell(r, 'p95_ms')} | {cell(r, 'p99_ms')} | "
                f"{cell(r, 'rate', 1)} | {cell(r, 'cpu_ms_op', 1)} | {cell(r, 'sql_web_op', 1)} | "
                f"{cell(r, 'sql_worker_op', 1)} | {cell(r, 'busy_pct')} |"
            )
        return lines


def stack_for(tmp: Path, db: BenchDatabase, name: str, **options: Any) -> Stack:
    env = {
        "DATABASE_URL": db.url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SANDBOX_SLOW_SECONDS": "3",
        **options.pop("extra_env", {}),
    }
    return Stack(tmp / name, extra_env=env, **options)


def seed(stack: Stack) -> str:
    stack.manage("shell", "-c", SEED_CATALOG)
    key = stack.manage("shell", "-c", order_bench.SEED % SEED_SKUS, capture=True).strip().splitlines()[-1]
    analyze(stack)
    return key


def analyze(stack: Stack) -> None:
    """Table statistics for the planner: autovacuum is off on this machine's PostgreSQL, so without this the bench
    tables are never analyzed and lookups seq-scan (issue #19: half the order list's PostgreSQL CPU)."""
    with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("ANALYZE")


def run_carts(table: Table, stack: Stack, key: str, label: str, levels: tuple[int, ...] = (1, 16)) -> dict[int, dict]:
    results = {}
    for concurrency in levels:
        total = 150 if concurrency == 1 else 400
        log(f"cart adds at concurrency {concurrency} ({total}) ...")
        try:
            r = cart_bench.run_level(stack, key, concurrency, max(1, total // concurrency), 5)
        except Exception as exc:  # a dropped connection aborts the level; report it and go on
            log(f"cart level failed: {exc!r}")
            r = {"requests": 0, "errors": f"aborted ({exc.__class__.__name__})", "p50_ms": float("nan")}
            r.update(p99_ms=float("nan"), rate=0.0, cpu_ms_op=float("nan"), busy_pct=float("nan"))
        results[concurrency] = table.add(
            "cart add (update + local activity)",
            label,
            load=clients(concurrency),
            requests=r["requests"],
            errors=r["errors"],
            p50_ms=r["p50_ms"],
            p99_ms=r["p99_ms"],
            p95_ms=float("nan"),
            rate=r["rate"],
            cpu_ms_op=r["cpu_ms_op"],
            busy_pct=r["busy_pct"],
            sql_web_op=r.get("sql_web_op", float("nan")),
            sql_worker_op=r.get("sql_worker_op", float("nan")),
        )
    return results


NOOP_CART = "no-op cart update ceiling (update + no-op local activity)"


def noop_cart_add(api: ApiClient, client: int, i: int) -> int:
    return api.call("POST", f"/bench/noop-cart/{RUN_TAG}-{client}/", {"step": i})[0]


def noop_worker(stack: Stack) -> Path:
    """Start the no-op floors' worker process once per stack; returns the file its no-op orders' confirm writes
    append to (bench/noop_order.py)."""
    confirmed = stack.workdir / "noop-orders-confirmed.txt"
    if not any(name == "noop-worker" for name, _ in stack.procs):
        confirmed.touch()
        worker = [sys.executable, str(ROOT / "bench" / "noop_worker.py"), stack.env["TEMPORAL_ADDRESS"], str(confirmed)]
        stack.spawn("noop-worker", worker)
    return confirmed


def run_noop_cart(table: Table, stack: Stack, key: str, label: str, seconds: float) -> dict[int, dict]:
    """The cart add's path minus the cart's own work: HTTP, bridge, update-with-start, one no-op local activity."""
    noop_worker(stack)
    results = {}
    for concurrency in (1, 16):
        log(f"{NOOP_CART}: {concurrency} clients for {seconds:.0f}s ...")
        r = closed_loop(stack, key, concurrency, seconds, noop_cart_add)
        results[concurrency] = table.add(NOOP_CART, label, load=clients(concurrency), **r)
    return results


def run_lists(
    table: Table, stack: Stack, key: str, label: str, seconds: float, *, floors: bool = True
) -> dict[str, dict]:
    """The two API lists, then (``floors``) the same rows from a minimal DRF list and a plain Django view."""
    analyze(stack)  # the orders of the earlier phases: as autovacuum would have, had it been on
    results = {}
    for name, path in (
        (PRODUCTS, "/api/v1/products/?page_size=20"),
        (ORDERS, "/api/v1/orders/?page_size=20"),
        *(LIST_FLOORS if floors else ()),
    ):
        log(f"{name}: 8 clients for {seconds:.0f}s ...")
        r = closed_loop(stack, key, 8, seconds, get(path))
        results[name] = table.add(name, label, load=clients(8), **r)
    return results


def order_row(table: Table, r: dict, label: str, cpu: CpuWindow, what: str = "order placed -> confirmed") -> dict:
    return table.add(
        what,
        label,
        load=f"{r['offered']:g}/s offered, {r['sent'] / r['offered']:.0f}s",
        requests=r["sent"],
        errors=r["errors"],
        p50_ms=r["p50_ms"],
        p99_ms=r["p99_ms"],
        rate=r["achieved"],
        cpu_ms_op=cpu.ms_per_op(r["sent"]),
        busy_pct=cpu.busy_pct,
        **statements_per_op(cpu, r["sent"]),
    )


def run_order_ramp(
    table: Table, stack: Stack, key: str, db: BenchDatabase, label: str, rates: list[float], seconds: float
) -> list[dict]:
    placer = order_bench.Placer(stack.web_port, key)
    results = []
    for rate in rates:
        log(f"orders at {rate:g}/s for {seconds:.0f}s ...")
        with CpuWindow(stack) as cpu:
            r = order_bench.run_orders(stack, placer, rate, seconds, fetch=db.order_results)
        r["duplicated"] = db.duplicated(r["numbers"], r["started"])
        row = order_row(table, r, label, cpu)
        # The evidence of targets() and cost_goals().
        r.update({name: row[name] for name in ("load", "cpu_ms_op", "busy_pct", "sql_web_op", "sql_worker_op")})
        results.append(r)
        if rate != rates[-1] and not order_bench.sustained([r]):
            log("  not sustained: higher rates skipped (their backlog would only slow the next phases)")
            break
    return results


def run_sustained(
    table: Table, stack: Stack, key: str, db: BenchDatabase, label: str, ramp: list[dict], seconds: float
) -> dict:
    best = order_bench.sustained(ramp) or min(r["offered"] for r in ramp)
    rate = next(r["offered"] for r in ramp if r["achieved"] == best) if order_bench.sustained(ramp) else best
    log(f"sustained: orders at {rate:g}/s for {seconds:.0f}s ...")
    placer = order_bench.Placer(stack.web_port, key)
    with CpuWindow(stack) as cpu:
        r = order_bench.run_orders(stack, placer, rate, seconds, fetch=db.order_results)
    row = order_row(table, r, label, cpu, "order placed -> confirmed, sustained")
    row["duplicated"] = db.duplicated(r["numbers"], r["started"])
    return row


NOOP_SAGA = f"no-op saga, {NOOP_PLAN.count('local')} local + {NOOP_PLAN.count('regular')} regular"
NOOP_ORDER = "no-op order (the order's shape: HTTP, update-with-start, sync steps, timer, stays open)"


class NoopOrderPlacer(order_bench.Placer):
    """The order placer for the no-op order (bench/noop_order.py): the same keep-alive connections, one POST per
    order; ``confirmed`` reads the file its confirm writes append to, as run_orders' ``fetch``."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(stack.web_port, "")
        self.confirmed_file = noop_worker(stack)

    def place(self, sku: str) -> str | None:
        number = f"{RUN_TAG}-{uuid.uuid4().hex[:12]}"
        return self.post(f"/bench/noop-order/{number}/", json.dumps({"sku": sku}), {"Content-Type": "application/json"})

    def confirmed(self, numbers: list[str]) -> dict[str, list]:
        done = dict(line.split() for line in self.confirmed_file.read_text().splitlines())
        return {n: ["confirmed", float(done[n])] if n in done else ["created", 0.0] for n in numbers}


def run_noop_orders(table: Table, stack: Stack, label: str, rates: list[float], seconds: float) -> list[dict]:
    """The floor of "order placed -> confirmed": the order's Temporal shape, started as an order is, no-op steps."""
    placer = NoopOrderPlacer(stack)
    rows = []
    for rate in rates:
        log(f"{NOOP_ORDER} at {rate:g}/s for {seconds:.0f}s ...")
        with CpuWindow(stack) as cpu:
            r = order_bench.run_orders(stack, placer, rate, seconds, fetch=placer.confirmed)
        rows.append(order_row(table, r, label, cpu, NOOP_ORDER))
    return rows


async def temporal_ceiling(
    stack: Stack, rates: list[float], seconds: float, *, naive: bool = True
) -> list[tuple[str, dict, CpuWindow]]:
    """The no-op saga of the order's shape (the order's floor) and the naive saga (``naive``), run by a worker in
    this process (so its CPU is counted with the stack's)."""
    client = await Client.connect(stack.env["TEMPORAL_ADDRESS"])
    queue = f"bench-noop-{uuid.uuid4().hex[:6]}"
    results = []
    sagas = [(NoopSaga.run, NOOP_SAGA), (NaiveSaga.run, f"naive saga, {len(NOOP_PLAN)} regular")]
    async with Worker(client, task_queue=queue, workflows=[NoopSaga, NaiveSaga], activities=[noop]):
        for workflow, label in sagas if naive else sagas[:1]:
            for rate in rates:
                log(f"{label} at {rate:g}/s ...")
                with CpuWindow(stack, include_self=True) as cpu:
                    r = await order_bench.noop_level(client, queue, rate, seconds, workflow, label)
                results.append((label, r, cpu))
                if not order_bench.sustained([r]):
                    break  # saturated: a higher rate only adds backlog
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sustained-seconds", type=float, default=60)
    parser.add_argument("--ramp", type=float, nargs="+", default=[10, 15, 20, 25])
    parser.add_argument("--ramp-seconds", type=float, default=10)
    parser.add_argument("--list-seconds", type=float, default=8)
    parser.add_argument("--cart-ceiling-seconds", type=float, default=6, help="per level of the no-op cart update")
    parser.add_argument(
        "--levers", action="store_true", help="also measure without prepared statements and with the unsandboxed runner"
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    command = "python bench/run_all.py " + " ".join(sys.argv[1:])
    admin_url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    began, load_before = time.time(), load_average()
    table = Table()
    facts: dict[str, Any] = {}
    A = "gunicorn, 1 worker proc"
    with tempfile.TemporaryDirectory(prefix="oms-run-all-") as tmp_name, BenchDatabase(admin_url) as db:
        tmp = Path(tmp_name)
        log("== A: gunicorn 2x8, 1 x run_workers")
        with stack_for(tmp, db, "a") as stack:
            key = seed(stack)
            facts["cart"] = run_carts(table, stack, key, A)
            facts["noop_cart"] = run_noop_cart(table, stack, key, A, args.cart_ceiling_seconds)
            order_bench.run_orders(stack, order_bench.Placer(stack.web_port, key), 5, 2, fetch=db.order_results)
            facts["steady"] = run_order_ramp(table, stack, key, db, A, [5], 20)[0]
            facts["noop_order"] = run_noop_orders(table, stack, A, [5], 20)[0]
            ramp = run_order_ramp(table, stack, key, db, A, args.ramp, args.ramp_seconds)
            facts["ramp_a"] = [facts["steady"], *ramp]
            facts["sustained_a"] = run_sustained(table, stack, key, db, A, facts["ramp_a"], args.sustained_seconds)
            log("synchronous checkout without Temporal ...")
            facts["sync1"] = table.add(
                "sync checkout, no Temporal (same services)",
                A,
                load="1 client",
                **closed_loop(stack, key, 1, 5, sync_checkout),
            )
            facts["sync8"] = table.add(
                "sync checkout, no Temporal (same services)",
                A,
                load="8 clients",
                **closed_loop(stack, key, 8, 10, sync_checkout),
            )
            facts["lists_a"] = run_lists(table, stack, key, A, args.list_seconds)
            ceiling = asyncio.run(temporal_ceiling(stack, [5, 10, 20, 40], args.ramp_seconds))
            facts["noop_rows"] = [order_row(table, r, A, cpu, label) for label, r, cpu in ceiling]
            facts["noop"] = order_bench.sustained([r for label, r, _ in ceiling if label.startswith("no-op")])
            facts["naive"] = order_bench.sustained([r for label, r, _ in ceiling if label.startswith("naive")])
        B = "gunicorn, 2 worker procs"
        log("== B: gunicorn 2x8, 2 x run_workers")
        with stack_for(tmp, db, "b", worker_processes=2) as stack:
            key = seed(stack)
            ramp = run_order_ramp(table, stack, key, db, B, [5, *args.ramp], args.ramp_seconds)
            facts["ramp_b"] = ramp
            facts["sustained_b"] = run_sustained(table, stack, key, db, B, ramp, args.sustained_seconds / 2)
        C = "granian, 1 worker proc"
        log("== C: granian 2x8, 1 x run_workers")
        with stack_for(tmp, db, "c", web_server="granian") as stack:
            key = seed(stack)
            facts["lists_c"] = run_lists(table, stack, key, C, args.list_seconds)
            facts["cart_c"] = run_carts(table, stack, key, C, (16,))
        if args.levers:
            for name, label, env in (
                ("d", "gunicorn, no prepared statements", {"DATABASE_PREPARED_STATEMENTS": "false"}),
                ("e", "gunicorn, unsandboxed runner", {"WORKER_WORKFLOW_RUNNER": "unsandboxed"}),
            ):
                log(f"== {name.upper()}: {label}")
                with stack_for(tmp, db, name, extra_env=env) as stack:
                    key = seed(stack)
                    facts[f"cart_{name}"] = run_carts(table, stack, key, label)
                    facts[f"steady_{name}"] = run_order_ramp(table, stack, key, db, label, [5], 20)[0]
                    facts[f"lists_{name}"] = run_lists(table, stack, key, label, args.list_seconds)
    elapsed = time.time() - began
    log(f"done in {elapsed / 60:.1f} min")
    verdicts = targets(facts) + cost_goals(facts)
    for line in verdicts:
        log(line)
    if not args.no_write:
        write(table, facts, verdicts, command, (load_before, load_average()), elapsed, args.levers)


def cpu_evidence(row: dict) -> str:
    """What a phase cost in CPU: a row near 100% busy with CPU ms/op x rate ~ cores x 1000 was CPU bound."""
    cpu_ms, busy, cores = row.get("cpu_ms_op", float("nan")), row.get("busy_pct", float("nan")), CpuWindow.core_count()
    bound = f", so at most {cores * 1000 / cpu_ms:.0f}/s on {cores} cores" if cpu_ms == cpu_ms and cpu_ms else ""
    return f"{cpu_ms:.1f} ms CPU/op (stack){bound}; machine {busy:.0f}% busy"


def targets(f: dict) -> list[str]:
    def ok(flag: bool) -> str:
        return "met" if flag else "NOT met"

    def unmet(flag: bool, *rows: dict) -> str:
        evidence = "; ".join(f"{r['load']}: {cpu_evidence(r)}" for r in rows)
        return "met" if flag else f"NOT met; {evidence}"

    cores = CpuWindow.core_count()
    cart1, cart16 = f["cart"][1], f["cart"][16]
    noop1, noop16 = f["noop_cart"][1], f["noop_cart"][16]
    cart_best = max(cart16, f["cart_c"][16], key=lambda r: r["rate"])
    cart_rate = cart_best["rate"]
    best_orders = max(order_bench.sustained(f["ramp_a"]), order_bench.sustained(f["ramp_b"]))
    best_ramp = max([*f["ramp_a"], *f["ramp_b"]], key=lambda r: r["achieved"])
    order_list = max(f["lists_a"][ORDERS], f["lists_c"][ORDERS], key=lambda r: r["rate"])
    return [
        f"- (machine: {cores} cores; a phase is CPU bound when the machine is ~100% busy, and then its rate is at "
        f"most {cores} x 1000 / (CPU ms/op of all processes on the machine))",
        f"- cart p50 <= 15 ms: {cart1['p50_ms']:.1f} ms at 1 client ({unmet(cart1['p50_ms'] <= 15, cart1)}); "
        f"p99 <= 60 ms: {cart1['p99_ms']:.1f} ms at 1 client, {cart16['p99_ms']:.1f} ms at 16 "
        f"({ok(cart1['p99_ms'] <= 60)} / {unmet(cart16['p99_ms'] <= 60, cart16)}); >= 150 mutations/s: "
        f"{cart_rate:.0f}/s ({unmet(cart_rate >= 150, cart_best)}). The no-op cart update ceiling (HTTP + bridge + "
        f"update + no-op local activity, same run): p50 {noop1['p50_ms']:.1f} ms, p99 {noop1['p99_ms']:.1f} ms at 1 "
        f"client; p99 {noop16['p99_ms']:.1f} ms, {noop16['rate']:.0f}/s at 16 clients ({cpu_evidence(noop16)}); "
        f"the cart's own work adds {cart1['p50_ms'] - noop1['p50_ms']:.1f} ms p50 and "
        f"{cart16['cpu_ms_op'] - noop16['cpu_ms_op']:.1f} ms CPU per mutation",
        f"- order p50 <= 250 ms at 5/s: {f['steady']['p50_ms']:.0f} ms "
        f"({unmet(f['steady']['p50_ms'] <= 250, f['steady'])})",
        f"- >= 20 orders/s sustained: best sustained in the ramps {best_orders:.1f}/s (1 worker proc "
        f"{order_bench.sustained(f['ramp_a']):.1f}, 2 worker procs {order_bench.sustained(f['ramp_b']):.1f}); held for "
        f"the long run: {f['sustained_a']['rate']:.1f}/s ({unmet(best_orders >= 20, best_ramp, f['sustained_a'])})",
        f"- >= 2x a naive saga: orders {best_orders:.1f}/s vs the naive no-op saga's ceiling {f['naive']:.1f}/s "
        f"(ratio {best_orders / f['naive'] if f['naive'] else float('nan'):.2f}; the local-activity no-op saga: "
        f"{f['noop']:.1f}/s, ratio to naive {f['noop'] / f['naive'] if f['naive'] else float('nan'):.2f}) "
        f"({ok(f['naive'] > 0 and best_orders >= 2 * f['naive'])})",
        f"- order list >= 400 req/s with p95 <= 100 ms: {order_list['rate']:.0f} req/s, "
        f"p95 {order_list['p95_ms']:.0f} ms "
        f"({unmet(order_list['rate'] >= 400 and order_list['p95_ms'] <= 100, order_list)})",
        f"- cost of durability: the synchronous checkout takes {f['sync1']['p50_ms']:.0f} ms (p50, 1 client) and "
        f"reaches {f['sync8']['rate']:.1f}/s (8 clients); the durable order {f['steady']['p50_ms']:.0f} ms placed -> "
        f"confirmed and {best_orders:.1f}/s sustained (ratios {f['steady']['p50_ms'] / f['sync1']['p50_ms']:.1f}x "
        f"latency, {best_orders / f['sync8']['rate'] if f['sync8']['rate'] else float('nan'):.2f}x throughput)",
    ]


def cost_goals(f: dict) -> list[str]:
    """Issue #19's goals: CPU per operation as a ratio to its floor, measured in the same run (stack A)."""

    def ratio(row: dict, floor: dict, goal: float) -> str:
        value = row["cpu_ms_op"] / floor["cpu_ms_op"] if floor.get("cpu_ms_op") else float("nan")
        return (
            f"{value:.2f}x ({row['cpu_ms_op']:.1f} vs {floor['cpu_ms_op']:.1f} ms CPU/op; "
            f"goal <= {goal}x: {'met' if value <= goal else 'NOT met'})"
        )

    lists = f["lists_a"]
    steady = next(row for row in f["noop_rows"] if row["workload"] == NOOP_SAGA and row["load"].startswith("5/s"))
    order5 = f["steady"]
    order10 = next((r for r in f["ramp_a"] if r["offered"] == 10), None)
    lost = sum(r["errors"] for r in [*f["ramp_a"], *f["ramp_b"]])
    orders_rows = [*f["ramp_a"], *f["ramp_b"], *(f[k] for k in ("sustained_a", "sustained_b") if k in f)]
    duplicated = sum(r.get("duplicated", 0) for r in orders_rows)
    p99 = f"{order10['p99_ms']:.0f} ms ({'met' if order10['p99_ms'] < 1000 else 'NOT met'})" if order10 else "not run"
    return [
        "",
        "Cost per operation against the floors of this run (issue #19):",
        f"- order list: {ratio(lists[ORDERS], lists[ORDERS_DRF], 1.3)}; to the minimal DRF list of the same rows "
        f"with their lines and events {ratio(lists[ORDERS], lists[ORDERS_NESTED], 1.3)}; a plain Django view of the "
        f"same rows {lists[ORDERS_RAW]['cpu_ms_op']:.1f} ms",
        f"- product list: {ratio(lists[PRODUCTS], lists[PRODUCTS_DRF], 1.3)}; to the minimal DRF list of the same "
        f"rows with their variants, stock and pictures {ratio(lists[PRODUCTS], lists[PRODUCTS_NESTED], 1.3)}; a "
        f"plain Django view of the same rows {lists[PRODUCTS_RAW]['cpu_ms_op']:.1f} ms",
        f"- cart add, 1 client: {ratio(f['cart'][1], f['noop_cart'][1], 1.3)}; 16 clients: "
        f"{ratio(f['cart'][16], f['noop_cart'][16], 1.3)}",
        f"- order placed -> confirmed at 5/s vs the {NOOP_ORDER} at 5/s: {ratio(order5, f['noop_order'], 1.6)}; "
        f"vs the bare {NOOP_SAGA} (started by the bench process, async steps, completes) at 5/s: "
        f"{ratio(order5, steady, 1.6)}; p99 at 10/s under 1 s: {p99}; orders not placed or not confirmed in the "
        f"ramps: {lost}; orders placed twice or authorized twice in the ramps and sustained runs: {duplicated}",
        f"- SQL statements per order: web {order5['sql_web_op']:.1f}, worker {order5['sql_worker_op']:.1f}; per cart "
        f"add: web {f['cart'][1]['sql_web_op']:.1f}, worker {f['cart'][1]['sql_worker_op']:.1f}; per order list: web "
        f"{lists[ORDERS]['sql_web_op']:.1f}; per product list: web {lists[PRODUCTS]['sql_web_op']:.1f}",
    ]


def lever_lines(f: dict) -> list[str]:
    def ratio(new: float, old: float) -> str:
        return f"{new / old:.2f}x" if old else "n/a"

    lines = []
    order_a = f["lists_a"][ORDERS]
    order_c = f["lists_c"][ORDERS]
    lines.append(
        f"- WSGI server, granian vs gunicorn (same run): order list {ratio(order_c['rate'], order_a['rate'])} req/s, "
        f"product list {ratio(f['lists_c'][PRODUCTS]['rate'], f['lists_a'][PRODUCTS]['rate'])}"
        f" req/s, cart adds at 16 clients {ratio(f['cart_c'][16]['rate'], f['cart'][16]['rate'])} mutations/s"
    )
    lines.append(
        f"- 2 worker processes vs 1: sustained orders "
        f"{ratio(order_bench.sustained(f['ramp_b']), order_bench.sustained(f['ramp_a']))}"
        f" ({order_bench.sustained(f['ramp_b']):.1f} vs {order_bench.sustained(f['ramp_a']):.1f}/s)"
    )
    for name, label in (
        ("d", "no prepared statements (DATABASE_PREPARED_STATEMENTS=false)"),
        ("e", "unsandboxed workflow runner"),
    ):
        if f"cart_{name}" in f:
            lines.append(
                f"- {label} vs A: cart p50 at 1 client "
                f"{ratio(f[f'cart_{name}'][1]['p50_ms'], f['cart'][1]['p50_ms'])}, cart mutations/s at 16 "
                f"{ratio(f[f'cart_{name}'][16]['rate'], f['cart'][16]['rate'])}, order p50 at 5/s "
                f"{ratio(f[f'steady_{name}']['p50_ms'], f['steady']['p50_ms'])}, order list req/s "
                f"{ratio(f[f'lists_{name}'][ORDERS]['rate'], order_a['rate'])}; CPU ms per op: order at 5/s "
                f"{ratio(f[f'steady_{name}']['cpu_ms_op'], f['steady']['cpu_ms_op'])}, cart add at 1 client "
                f"{ratio(f[f'cart_{name}'][1]['cpu_ms_op'], f['cart'][1]['cpu_ms_op'])}, order list "
                f"{ratio(f[f'lists_{name}'][ORDERS]['cpu_ms_op'], order_a['cpu_ms_op'])}"
            )
    return lines


def write(
    table: Table,
    facts: dict,
    verdicts: list[str],
    command: str,
    loads: tuple[float, float],
    elapsed: float,
    levers: bool,
) -> None:
    body = "\n".join(
        [
            SECTION_START,
            "## All benchmarks in one run (PostgreSQL)",
            "",
            f"Command: `{command.strip()}` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"{elapsed / 60:.1f} min)",
            "",
            f"Machine: {machine()}; 1-minute load average {loads[0]:.1f} before and {loads[1]:.1f} after the run "
            "(the machine is shared with other developers' test runs: compare rows of this run, not across runs).",
            "Stacks (bench/stack.py, each process separate, load from the bench process over loopback): Temporal dev "
            "server (`--db-filename`, WAL), PostgreSQL (a fresh database per run), `manage.py run_workers` x N, the "
            "web by gunicorn (gthread) or granian (WSGI), 2 workers x 8 threads. Orders: open-loop `POST "
            "/api/v1/orders/` at a fixed rate, latency = confirm write committed minus request sent. Cart adds: "
            "closed loop, one cart per client. Lists and the synchronous checkout: closed loop, keep-alive clients.",
            "The no-op cart update ceiling: `POST /bench/noop-cart/<id>/` (bench/urls.py), the cart add's path "
            "(HTTP, bridge, the update (plain once the workflow runs), one local activity) without the cart's own "
            "work, closed loop, one workflow per client. The no-op order (the order's floor, bench/noop_order.py): "
            "`POST /bench/noop-order/<number>/` starts it as an order is started (update-with-start answered after "
            "the first step), sync no-op steps on the worker's thread pool (4 local, authorize regular, the e-mail's "
            "dispatch on its own queue), then open with one timer; open loop at 5/s like the orders. "
            "CPU ms/op (stack): utime + stime over the phase of the "
            "stack's processes with "
            "their children and the bench database's PostgreSQL backends (the saga ceilings: also the bench "
            "process, which runs their worker), per request or order; machine busy %: /proc/stat over the phase, "
            f"all {CpuWindow.core_count()} cores, every process on the machine.",
            "",
            *table.markdown(),
            "",
            "Targets (this run):",
            "",
            *verdicts,
            "",
            "Levers (ratios within this run):",
            "",
            *lever_lines(facts),
            *([] if levers else ["- (without prepared statements, the unsandboxed runner: run with `--levers`)"]),
            SECTION_END,
        ]
    )
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text()
    if SECTION_START in text:
        head, rest = text.split(SECTION_START, 1)
        text = head + body + rest.split(SECTION_END, 1)[1]
    else:
        head, rest = text.split("\n\n", 2)[:2], text.split("\n\n", 2)[2]
        text = "\n\n".join(head) + "\n\n" + body + "\n\n" + rest
    path.write_text(text)
    log(f"results written to {path}")


if __name__ == "__main__":
    main()
