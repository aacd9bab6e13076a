"""Order benchmark: placed -> confirmed latency at a steady rate, and the sustained maximum orders/s, next to the
raw Temporal ceiling (a workflow with the same activities as no-ops) measured in the same run.

    python bench/order_bench.py [--steady-rate 5] [--steady-seconds 30] [--ramp 10 20 30 40] [--no-write]

Starts the embedded stack (bench/stack.py: Temporal dev server on a SQLite file in WAL mode, ``manage.py
run_workers``, gunicorn; SQLite unless DATABASE_URL is set). Orders go through ``POST /api/v1/orders/`` from
this process at a fixed (open-loop) rate; "confirmed" is the moment the workflow's confirm write committed
(the order's ``updated_at``; nothing writes the order after it). Writes docs/benchmarks.md ("Orders").
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from temporalio.client import Client
from temporalio.worker import Worker

from bench.cart_bench import load_average, machine
from bench.noop_saga import NOOP_PLAN, NoopSaga, noop
from bench.stack import ROOT, Stack, log

TARGET_P50_MS, TARGET_RATE = 250.0, 20.0
SUSTAINED_P99_MS = 2000.0  # a rate is sustained when the backlog does not grow: p99 stays under this
SKUS = [f"OB-{i:03d}" for i in range(20)]
SEED = """
from decimal import Decimal
from catalog.models import Product, StockLevel, StockMovement, Variant, Warehouse
from partners.services import api_key_create
wh, _ = Warehouse.objects.get_or_create(code="bench", defaults={"name": "Bench", "priority": 1})
product, _ = Product.objects.get_or_create(slug="order-bench", defaults={"name": "Order bench"})
for sku in %r:
    v, _ = Variant.objects.get_or_create(
        sku=sku, defaults=dict(product=product, name=sku, price=Decimal("9.99"), currency="EUR"))
    StockLevel.objects.get_or_create(variant=v, warehouse=wh, defaults={"on_hand": 10**9})
print(api_key_create(partner_name="order-bench", scopes=["orders"]).raw_key)
"""
RESULTS = """
import json
from orders.models import Order
rows = Order.objects.filter(number__in=%r).values_list("number", "status", "updated_at")
print(json.dumps({n: [s, u.timestamp()] for n, s, u in rows}))
"""
SECTION_START, SECTION_END = "<!-- order-bench:start -->", "<!-- order-bench:end -->"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def summarize(label: str, rate: float, sent: int, latencies_ms: list[float], span: float, errors: int) -> dict:
    done = len(latencies_ms)
    return {
        "label": label,
        "offered": rate,
        "sent": sent,
        "completed": done,
        "errors": errors,
        "p50_ms": statistics.median(latencies_ms) if done else float("nan"),
        "p99_ms": percentile(latencies_ms, 0.99) if done else float("nan"),
        "achieved": done / span if span > 0 else 0.0,
    }


# --- orders through the API ----------------------------------------------------------------------------------
class Placer:
    def __init__(self, port: int, key: str) -> None:
        self.port, self.key = port, key
        self.local = threading.local()

    def place(self, sku: str) -> str | None:
        body = json.dumps(
            {
                "lines": [{"sku": sku, "quantity": 1}],
                "customer": {"email": "bench@example.com", "name": "Bench"},
                "shipping_address": {"name": "B", "line1": "1 St", "city": "X", "postal_code": "1", "country": "DE"},
                "payment": {"method": "card", "token": "pm_card_ok"},
            }
        )
        headers = {
            "Authorization": f"Api-Key {self.key}",
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex,
        }
        return self.post("/api/v1/orders/", body, headers)

    def post(self, path: str, body: str, headers: dict[str, str]) -> str | None:
        """POST on this thread's keep-alive connection; the 201's ``number``, or None (logged). gunicorn closes idle
        keep-alive connections: the retry sends the same request (the order's Idempotency-Key, so it can never
        place a second order: the API replays the first answer)."""
        for _ in range(3):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                data = json.loads(response.read())
            except (OSError, http.client.HTTPException):
                self.local.conn = None
                continue
            if response.status == 201:
                return data.get("number")
            if response.status != 409:  # 409: the first attempt is still in flight; ask again
                log(f"order refused: {response.status} {data}")
                return None
            time.sleep(0.2)
        return None


def run_orders(
    stack: Stack, placer: Placer, rate: float, seconds: float, fetch: Callable[[list[str]], dict] | None = None
) -> dict:
    """``fetch(numbers) -> {number: [status, updated_at epoch]}`` reads the results (default: manage.py shell)."""
    total = int(rate * seconds)
    sent: dict[str, float] = {}
    errors = 0
    lock = threading.Lock()

    def one(index: int, t0: float) -> None:
        nonlocal errors
        number = placer.place(SKUS[index % len(SKUS)])
        with lock:
            if number:
                sent[number] = t0
            else:
                errors += 1

    start = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
        for index in range(total):
            due = start + index / rate
            time.sleep(max(0.0, due - time.time()))
            pool.submit(one, index, time.time())
    deadline = time.time() + 120
    while True:
        if fetch is not None:
            rows = fetch(list(sent))
        else:
            rows = json.loads(stack.manage("shell", "-c", RESULTS % list(sent), capture=True).strip().splitlines()[-1])
        if all(status != "created" for status, _ in rows.values()) or time.time() > deadline:
            break
        time.sleep(1)
    latencies = [(rows[n][1] - t0) * 1000 for n, t0 in sent.items() if rows.get(n, ["created"])[0] == "confirmed"]
    failed = sum(1 for status, _ in rows.values() if status != "confirmed")
    if failed or errors:
        log(f"not confirmed: {failed} {sorted({status for status, _ in rows.values()})}; not placed: {errors}")
    last = max((rows[n][1] for n in sent if n in rows), default=start)
    result = summarize("orders via API", rate, total, latencies, last - start, errors + failed)
    # What a duplicate check needs: the numbers the API answered and when the phase began.
    result.update(numbers=list(sent), started=start)
    return result


# --- the raw Temporal ceiling ----------------------------------------------------------------------------
async def noop_level(
    client: Client, queue: str, rate: float, seconds: float, workflow: Any = NoopSaga.run, label: str = ""
) -> dict:
    total = int(rate * seconds)
    latencies: list[float] = []
    ends: list[float] = []
    errors = 0

    async def one() -> None:
        nonlocal errors
        t0 = time.time()
        try:
            await client.execute_workflow(workflow, "x", id=f"noop-{uuid.uuid4().hex}", task_queue=queue)
        except Exception:
            errors += 1
            return
        ends.append(time.time())
        latencies.append((ends[-1] - t0) * 1000)

    start = time.time()
    tasks = []
    for index in range(total):
        await asyncio.sleep(max(0.0, start + index / rate - time.time()))
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    span = (max(ends) if ends else time.time()) - start
    return summarize(label or "no-op saga (Temporal only)", rate, total, latencies, span, errors)


async def run_noop(address: str, rates: list[float], seconds: float) -> list[dict]:
    client = await Client.connect(address)
    queue = f"bench-noop-{uuid.uuid4().hex[:6]}"
    results = []
    async with Worker(client, task_queue=queue, workflows=[NoopSaga], activities=[noop]):
        for rate in rates:
            results.append(await noop_level(client, queue, rate, seconds))
            log(f"no-op @ {rate}/s: {fmt(results[-1])}")
    return results


def fmt(r: dict) -> str:
    return (
        f"p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms, achieved {r['achieved']:.1f}/s, "
        f"{r['completed']}/{r['sent']} completed, errors {r['errors']}"
    )


def sustained(results: list[dict]) -> float:
    ok = [
        r["achieved"]
        for r in results
        if r["errors"] == 0 and r["p99_ms"] <= SUSTAINED_P99_MS and r["achieved"] >= 0.9 * r["offered"]
    ]
    return max(ok, default=0.0)


def write_section(
    stack: Stack,
    command: str,
    steady: dict,
    ramp: list[dict],
    ceiling: list[dict],
    notes: str = "",
    load_before: float = float("nan"),
) -> list[str]:
    rows = [
        "| workload | offered /s | sent | completed | errors | p50 ms | p99 ms | achieved /s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in [steady, *ramp, *ceiling]:
        rows.append(
            f"| {r['label']} | {r['offered']:g} | {r['sent']} | {r['completed']} | {r['errors']} | "
            f"{r['p50_ms']:.0f} | {r['p99_ms']:.0f} | {r['achieved']:.1f} |"
        )
    best, ceiling_best = sustained([steady, *ramp]), sustained(ceiling)
    verdict = [
        f"- p50 placed -> confirmed at {steady['offered']:g}/s: {steady['p50_ms']:.0f} ms "
        f"(target <= {TARGET_P50_MS:.0f} ms: {'met' if steady['p50_ms'] <= TARGET_P50_MS else 'NOT met'})",
        f"- sustained orders/s (no errors, p99 <= {SUSTAINED_P99_MS:.0f} ms, >= 90% of offered): {best:.1f} "
        f"(target >= {TARGET_RATE:.0f}: {'met' if best >= TARGET_RATE else 'NOT met'}); raw Temporal ceiling for the "
        f"same activity shape: {ceiling_best:.1f}/s (highest offered rate it kept up with)",
    ]
    body = "\n".join(
        [
            SECTION_START,
            "## Orders: placed -> confirmed",
            "",
            f"Command: `{command}` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
            "",
            f"Machine: {machine()}; 1-minute load average {load_before:.1f} before and {load_average():.1f} after the "
            "run (the machine is shared with other test runs).",
            f"Stack: gunicorn {stack.web_workers} workers x {stack.web_threads} threads, "
            f"{stack.worker_processes} x `manage.py run_workers`, Temporal dev server (`--db-filename`, WAL), database "
            f"{'PostgreSQL' if 'DATABASE_URL' in stack.env else 'SQLite (WAL)'}. Open-loop load from a separate "
            "process: `POST /api/v1/orders/` (one line, `pm_card_ok`) at a fixed rate; latency = confirm write "
            "committed (order `updated_at`) minus the moment the request was sent. The no-op saga runs the same "
            f"shape ({NOOP_PLAN.count('local')} local activities + {NOOP_PLAN.count('regular')} regular, in the "
            "order's sequence) on the same dev server with a worker in the bench process.",
            "",
            *rows,
            "",
            *verdict,
            *(["", notes] if notes else []),
            SECTION_END,
        ]
    )
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n\nMeasured numbers, newest run of each benchmark.\n"
    if SECTION_START in text:
        head, rest = text.split(SECTION_START, 1)
        text = head + body + rest.split(SECTION_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    path.write_text(text)
    log(f"results written to {path}")
    return verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steady-rate", type=float, default=5)
    parser.add_argument("--steady-seconds", type=float, default=30)
    parser.add_argument("--ramp", type=float, nargs="+", default=[10, 20, 30, 40])
    parser.add_argument("--ramp-seconds", type=float, default=15)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=8)
    parser.add_argument("--worker-processes", type=int, default=1)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--notes", default="", help="a paragraph appended to the results section")
    args = parser.parse_args()
    shown = [a for a in sys.argv[1:] if a not in ("--notes", args.notes)]
    command = ("python bench/order_bench.py " + " ".join(shown)).strip()
    load_before = load_average()
    with (
        tempfile.TemporaryDirectory(prefix="oms-order-bench-") as tmp,
        Stack(
            Path(tmp),
            web_workers=args.web_workers,
            web_threads=args.web_threads,
            worker_processes=args.worker_processes,
            extra_env={"SANDBOX_SLOW_SECONDS": "3"},
        ) as stack,
    ):
        key = stack.manage("shell", "-c", SEED % SKUS, capture=True).strip().splitlines()[-1]
        placer = Placer(stack.web_port, key)
        log("warm-up: 10 orders")
        run_orders(stack, placer, 5, 2)
        steady = run_orders(stack, placer, args.steady_rate, args.steady_seconds)
        log(f"orders @ {args.steady_rate}/s: {fmt(steady)}")
        ramp = []
        for rate in args.ramp:
            ramp.append(run_orders(stack, placer, rate, args.ramp_seconds))
            log(f"orders @ {rate}/s: {fmt(ramp[-1])}")
        # Offer the no-op saga more than the orders, so its ceiling shows even when it is above our top rate.
        noop_rates = sorted({args.steady_rate, *args.ramp, 2 * max(args.ramp), 3 * max(args.ramp)})
        ceiling = asyncio.run(run_noop(stack.env["TEMPORAL_ADDRESS"], noop_rates, args.ramp_seconds))
        if not args.no_write:
            for line in write_section(stack, command, steady, ramp, ceiling, args.notes, load_before):
                log(line)


if __name__ == "__main__":
    main()
