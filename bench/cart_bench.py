"""Cart benchmark: HTTP cart-add latency (p50/p99) and mutations/s at concurrency 1 and 16.

    python bench/cart_bench.py [--requests 300] [--concurrency 1 16] [--no-write]

Starts the embedded stack itself (bench/stack.py: Temporal dev server with a SQLite file in WAL mode,
``manage.py run_workers``, gunicorn; SQLite unless DATABASE_URL is set), seeds variants and an API key,
then drives ``POST /api/v1/carts/{id}/items/`` from this separate process over loopback, one cart and one
keep-alive connection per client thread. Writes the results into docs/benchmarks.md ("Carts" section).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import ROOT, Stack, log

TARGET_P50_MS, TARGET_P99_MS, TARGET_RATE = 15.0, 60.0, 150.0
SKUS = [f"BENCH-{i:03d}" for i in range(50)]
SEED = """
from decimal import Decimal
from catalog.models import Product, StockLevel, Variant, Warehouse
from partners.services import api_key_create
wh, _ = Warehouse.objects.get_or_create(code="bench", defaults={"name": "Bench"})
product, _ = Product.objects.get_or_create(slug="bench", defaults={"name": "Bench product"})
for sku in %r:
    v, _ = Variant.objects.get_or_create(
        sku=sku, defaults=dict(product=product, name=sku, price=Decimal("9.99"), currency="EUR"))
    StockLevel.objects.get_or_create(variant=v, warehouse=wh, defaults={"on_hand": 10**9})
print(api_key_create(partner_name="bench", scopes=["orders"]).raw_key)
"""
SECTION_START, SECTION_END = "<!-- cart-bench:start -->", "<!-- cart-bench:end -->"


class ApiClient:
    def __init__(self, port: int, key: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=self.headers)
        response = self.conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else {}


def run_level(port: int, key: str, concurrency: int, requests_per_client: int, warmup: int = 10) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency + 1)

    def client_thread(index: int) -> None:
        api = ApiClient(port, key)
        status, cart = api.call("POST", "/api/v1/carts/")
        assert status == 201, cart
        path = f"/api/v1/carts/{cart['id']}/items/"
        for i in range(warmup):
            api.call("POST", path, {"sku": SKUS[i % len(SKUS)], "quantity": 1})
        barrier.wait()
        mine: list[float] = []
        for i in range(requests_per_client):
            start = time.perf_counter()
            status, body = api.call("POST", path, {"sku": SKUS[(index + i) % len(SKUS)], "quantity": 1})
            mine.append((time.perf_counter() - start) * 1000)
            if status != 200:
                with lock:
                    errors.append(f"{status} {body.get('code')}")
        status, body = api.call("GET", f"/api/v1/carts/{cart['id']}/")
        if body.get("item_count") != warmup + requests_per_client:
            with lock:
                errors.append(f"cart {cart['id']} holds {body.get('item_count')} units")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client_thread, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:5],
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "mean_ms": statistics.fmean(latencies),
        "rate": len(latencies) / elapsed,
    }


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, load average {load:.2f} at start"


def verdict(results: list[dict]) -> list[str]:
    lines = []
    for r in results:
        p50_ok, p99_ok = r["p50_ms"] <= TARGET_P50_MS, r["p99_ms"] <= TARGET_P99_MS
        met = {True: "met", False: "NOT met"}
        lines.append(f"- concurrency {r['concurrency']}: p50 {met[p50_ok]}, p99 {met[p99_ok]}")
    best = max(r["rate"] for r in results)
    lines.append(
        f"- throughput: {best:.0f} mutations/s, target {TARGET_RATE:.0f}: {'met' if best >= TARGET_RATE else 'NOT met'}"
    )
    return lines


def write_section(results: list[dict], stack: Stack, command: str, notes: str) -> None:
    table = [
        "| concurrency | requests | errors | p50 ms | p99 ms | mean ms | mutations/s |",
        "|---|---|---|---|---|---|---|",
    ]
    table += [
        f"| {r['concurrency']} | {r['requests']} | {r['errors']} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
        f"{r['mean_ms']:.1f} | {r['rate']:.0f} |"
        for r in results
    ]
    body = "\n".join(
        [
            SECTION_START,
            "## Carts: HTTP cart add",
            "",
            f"Command: `{command}` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
            "",
            f"Machine: {machine()}.",
            f"Stack: gunicorn {stack.web_workers} workers x {stack.web_threads} threads, "
            f"{stack.worker_processes} x `manage.py run_workers`, "
            "Temporal dev server (`--db-filename`, WAL), database "
            f"{'PostgreSQL' if 'DATABASE_URL' in stack.env else 'SQLite (WAL)'}; "
            "load from a separate process over loopback, one cart and keep-alive connection per client.",
            "",
            *table,
            "",
            f"Targets: p50 <= {TARGET_P50_MS:.0f} ms, p99 <= {TARGET_P99_MS:.0f} ms, >= {TARGET_RATE:.0f} mutations/s.",
            *verdict(results),
            "",
            notes,
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="measured adds per level (split over clients)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=8)
    parser.add_argument("--worker-processes", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--notes", default="", help="a sentence appended to the results section")
    args = parser.parse_args()
    command = "python bench/cart_bench.py " + " ".join(sys.argv[1:])
    with (
        tempfile.TemporaryDirectory(prefix="oms-bench-") as tmp,
        Stack(
            Path(tmp),
            web_workers=args.web_workers,
            web_threads=args.web_threads,
            worker_processes=args.worker_processes,
        ) as stack,
    ):
        log("seeding variants and an API key")
        key = stack.manage("shell", "-c", SEED % SKUS, capture=True).strip().splitlines()[-1]
        results = []
        for concurrency in args.concurrency:
            per_client = max(1, args.requests // concurrency)
            log(f"concurrency {concurrency}: {per_client * concurrency} adds ...")
            result = run_level(stack.web_port, key, concurrency, per_client)
            log(
                f"concurrency {concurrency}: p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
                f"{result['rate']:.0f} mutations/s, errors {result['errors']} {result['error_samples']}"
            )
            results.append(result)
        for line in verdict(results):
            log(line)
        if not args.no_write:
            write_section(results, stack, command.strip(), args.notes)


if __name__ == "__main__":
    main()
