"""Cart benchmark: HTTP cart-add latency (p50/p99) and mutations/s at concurrency 1 and 16.

    python bench/cart_bench.py [--requests 300] [--concurrency 1 16] [--no-write]

Starts the embedded stack itself (bench/stack.py: Temporal dev server with a SQLite file in WAL mode,
``manage.py run_workers``, gunicorn; SQLite unless DATABASE_URL is set), seeds variants and an API key,
then drives ``POST /api/v1/carts/{id}/items/`` from this separate process over loopback, one cart and one
keep-alive connection per client thread. Writes the results into docs/benchmarks.md ("Carts" section).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import ROOT, CpuWindow, Stack, log

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
    """A minimal keep-alive HTTP/1.1 client: the load process should spend its CPU on waiting, not parsing."""

    def __init__(self, port: int, key: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.head = f"Host: 127.0.0.1:{port}\r\nAuthorization: Api-Key {key}\r\nContent-Type: application/json\r\n"
        self.buffer = b""

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        payload = json.dumps(body).encode() if body is not None else b""
        request = f"{method} {path} HTTP/1.1\r\n{self.head}Content-Length: {len(payload)}\r\n\r\n".encode()
        self.sock.sendall(request + payload)
        while b"\r\n\r\n" not in self.buffer:
            self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = next(int(line.split(":", 1)[1]) for line in lines[1:] if line.lower().startswith("content-length:"))
        while len(self.buffer) < length:
            self._recv()
        data, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, json.loads(data) if data else {}

    def _recv(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk


def run_level(stack: Stack, key: str, concurrency: int, requests_per_client: int, lines: int, warmup: int = 10) -> dict:
    port = stack.web_port
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency + 1, timeout=120)

    def client_thread(index: int) -> None:
        try:
            run_client(index)
        except BaseException:
            barrier.abort()  # the main thread stops waiting and the run fails loudly
            raise

    def run_client(index: int) -> None:
        api = ApiClient(port, key)
        status, cart = api.call("POST", "/api/v1/carts/")
        assert status == 201, cart
        path = f"/api/v1/carts/{cart['id']}/items/"
        for i in range(warmup):
            api.call("POST", path, {"sku": SKUS[i % lines], "quantity": 1})
        barrier.wait()
        mine: list[float] = []
        for i in range(requests_per_client):
            start = time.perf_counter()
            status, body = api.call("POST", path, {"sku": SKUS[(index + i) % lines], "quantity": 1})
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
    with CpuWindow(stack, include_self=True) as window:
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    cpu = dict(window.by_process)
    cpu["load generator"] = cpu.pop("bench process")
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
        # Includes the GET per client at the end; close enough for a per-mutation cost.
        "cpu_ms_per_mutation": {name: seconds * 1000 / len(latencies) for name, seconds in cpu.items()},
        "cpu_ms_op": (window.seconds - cpu["load generator"]) * 1000 / len(latencies),
        "busy_pct": window.busy_pct,
        "sql_web_op": window.statements_per_op("web", len(latencies)),
        "sql_worker_op": window.statements_per_op("worker", len(latencies)),
    }


def breakdown(port: int, key: str, samples: int = 60) -> list[tuple[str, float]]:
    """Median latency of each hop of an add, serially, to show where the time goes."""
    api = ApiClient(port, key)
    _, cart = api.call("POST", "/api/v1/carts/")
    path = f"/api/v1/carts/{cart['id']}/"
    steps = [
        ("`GET /healthz` (gunicorn + Django, no database)", "GET", "/healthz", None),
        (
            "add refused before Temporal (API key, cart row, validation)",
            "POST",
            path + "items/",
            {"sku": SKUS[0], "quantity": 0},
        ),
        ("`GET` cart (one workflow query)", "GET", path, None),
        ("`DELETE` an absent line (one update, no activity)", "DELETE", path + "items/NONE/", None),
        ("`POST` add (one update + local activity)", "POST", path + "items/", {"sku": SKUS[1], "quantity": 1}),
    ]
    result = []
    for label, method, url, body in steps:
        times = []
        for i in range(samples + 5):
            start = time.perf_counter()
            api.call(method, url, body)
            if i >= 5:
                times.append((time.perf_counter() - start) * 1000)
        result.append((label, statistics.median(times)))
    return result


def load_average() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


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


def write_section(
    results: list[dict],
    hops: list[tuple[str, float]],
    loads: tuple[float, float],
    stack: Stack,
    command: str,
    notes: str,
    lines: int,
) -> None:
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
            f"Machine: {machine()}; 1-minute load average {loads[0]:.1f} before and {loads[1]:.1f} after the run "
            "(the machine is shared with other test runs).",
            f"Stack: gunicorn {stack.web_workers} workers x {stack.web_threads} threads, "
            f"{stack.worker_processes} x `manage.py run_workers`, "
            f"Temporal dev server (`--db-filename`, pragmas {', '.join(stack.sqlite_pragmas)}), database "
            f"{'PostgreSQL' if 'DATABASE_URL' in stack.env else 'SQLite (WAL)'}; "
            "load from a separate process over loopback, one cart and keep-alive connection per client, each add "
            f"one unit of the next of {min(lines, len(SKUS))} SKUs (so a cart holds that many lines).",
            "",
            *table,
            "",
            f"Targets: p50 <= {TARGET_P50_MS:.0f} ms, p99 <= {TARGET_P99_MS:.0f} ms, >= {TARGET_RATE:.0f} mutations/s.",
            *verdict(results),
            "",
            "CPU time per mutation by process (ms; from /proc, over each level):",
            "",
            "| concurrency | " + " | ".join(results[0]["cpu_ms_per_mutation"]) + " | total |",
            "|---|" + "---|" * (len(results[0]["cpu_ms_per_mutation"]) + 1),
            *[
                f"| {r['concurrency']} | "
                + " | ".join(f"{v:.1f}" for v in r["cpu_ms_per_mutation"].values())
                + f" | {sum(r['cpu_ms_per_mutation'].values()):.1f} |"
                for r in results
            ],
            "",
            "Where the time of one add goes (serial, median of 60):",
            "",
            "| step | median ms |",
            "|---|---|",
            *[f"| {label} | {ms:.1f} |" for label, ms in hops],
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
    parser.add_argument("--lines", type=int, default=5, help="distinct SKUs each client's cart cycles through (<= 50)")
    parser.add_argument(
        "--sqlite-pragma",
        action="append",
        default=None,
        help="dev server pragma (repeatable; default journal_mode=wal)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--notes", default="", help="a sentence appended to the results section")
    args = parser.parse_args()
    shown = [a for a, prev in zip(sys.argv[1:], ["", *sys.argv[1:]], strict=False) if "--notes" not in (a, prev)]
    command = "python bench/cart_bench.py " + " ".join(shown) + (" --notes '...'" if args.notes else "")
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
        load_before = load_average()
        log("latency breakdown ...")
        hops = breakdown(stack.web_port, key)
        for label, ms in hops:
            log(f"  {ms:6.1f} ms  {label}")
        results = []
        for concurrency in args.concurrency:
            per_client = max(1, args.requests // concurrency)
            log(f"concurrency {concurrency}: {per_client * concurrency} adds ...")
            result = run_level(stack, key, concurrency, per_client, min(args.lines, len(SKUS)))
            log(
                f"concurrency {concurrency}: p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
                f"{result['rate']:.0f} mutations/s, errors {result['errors']} {result['error_samples']}"
            )
            log("  CPU ms per mutation: " + ", ".join(f"{n} {v:.1f}" for n, v in result["cpu_ms_per_mutation"].items()))
            results.append(result)
        for line in verdict(results):
            log(line)
        if not args.no_write:
            write_section(results, hops, (load_before, load_average()), stack, command.strip(), args.notes, args.lines)


if __name__ == "__main__":
    main()
