"""Soak: a steady mixed load for a bounded time, sampled every minute, as an operator would watch it (issue #19).

    python bench/soak.py --minutes 20 [--orders 5] [--cart-adds 10] [--list-reads 5] [--sample-seconds 60]
                         [--env WORKER_MAX_CACHED_WORKFLOWS=500 ...] [--no-write]

Runs the embedded stack (bench/stack.py: Temporal dev server on a SQLite file, ``manage.py run_workers``, gunicorn
2x8) against a fresh PostgreSQL database (``BENCH_POSTGRES_URL``, as bench/run_all.py) and drives, open loop at
fixed rates: orders (``POST /api/v1/orders/``, a partner without webhook endpoints, as in the issue), cart adds
(``POST /api/v1/carts/<id>/items/``, five per cart, then a new cart) and order list reads (20 rows). Every
``--sample-seconds`` it records, per process (with children): RSS and open file descriptors; the database's
connections (pg_stat_activity, by state); the size of the tables that grow and of the whole database; the Temporal
store (the SQLite file with its WAL); request latencies and errors of the interval. At the end it ages every row by
``--age-days`` (SQL on the timestamps) and times ``manage.py purge``: what the retention schedule would reclaim.
Writes the per-minute samples and a growth-per-hour table into docs/benchmarks.md ("Growth over time").
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from bench import cart_bench, order_bench
from bench.cart_bench import ApiClient, load_average, machine
from bench.run_all import BenchDatabase, seed, stack_for
from bench.stack import ROOT, Stack, log

SECTION_START, SECTION_END = "<!-- soak:start -->", "<!-- soak:end -->"
nan = float("nan")
TABLES = (
    "orders_order",
    "orders_orderevent",
    "orders_idempotencyrecord",
    "webhooks_webhookevent",
    "carts_cart",
    "notifications_email",
)
ADDS_PER_CART = 5
MAX_MINUTES = 120  # a soak is bounded: longer runs belong on a machine of their own


# --- load ---------------------------------------------------------------------------------------------------
@dataclass
class Window:
    """Latencies (ms) and errors of one kind of request since the last sample."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, ms: float, ok: bool) -> None:
        with self.lock:
            self.latencies.append(ms)
            self.errors += not ok

    def take(self) -> tuple[list[float], int]:
        with self.lock:
            taken, self.latencies, errors, self.errors = self.latencies, [], self.errors, 0
        return taken, errors


class OpenLoop(threading.Thread):
    """Calls ``request()`` at ``rate`` per second on a fixed pool of threads (each keeps its keep-alive connection
    and, for cart adds, its cart) until ``stop`` is set; each call's latency and success land in ``window``."""

    def __init__(self, rate: float, request: Callable[[], bool], window: Window, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.rate, self.request, self.window, self.stop = rate, request, window, stop
        self.sent = 0

    def run(self) -> None:
        if self.rate <= 0:
            return
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=16)
        start = time.monotonic()
        while not self.stop.is_set():
            due = start + self.sent / self.rate
            if self.stop.wait(max(0.0, due - time.monotonic())):
                break
            pool.submit(self._one)
            self.sent += 1
        # Requests still queued behind a slow stack are dropped (not sent, not counted); those in flight finish.
        pool.shutdown(wait=True, cancel_futures=True)

    def _one(self) -> None:
        begun = time.perf_counter()
        try:
            ok = self.request()
        except Exception as exc:  # a dropped connection is an error of the soak, not of the bench
            log(f"request failed: {exc!r}")
            ok = False
        self.window.record((time.perf_counter() - begun) * 1000, ok)


class CartAdds:
    """Cart adds through the API: ``ADDS_PER_CART`` per cart on a thread's own keep-alive connection, then the next
    cart (so cart workflows accumulate as in a shop: most carts are abandoned, not checked out)."""

    def __init__(self, port: int, key: str) -> None:
        self.port, self.key = port, key
        self.local = threading.local()

    def __call__(self) -> bool:
        local = self.local
        if getattr(local, "api", None) is None:
            local.api, local.path, local.adds = ApiClient(self.port, self.key), None, 0
        try:
            if local.path is None or local.adds >= ADDS_PER_CART:
                status, cart = local.api.call("POST", "/api/v1/carts/")
                if status != 201:
                    return False
                local.path, local.adds = f"/api/v1/carts/{cart['id']}/items/", 0
            sku = cart_bench.SKUS[local.adds % len(cart_bench.SKUS)]
            status, _ = local.api.call("POST", local.path, {"sku": sku, "quantity": 1})
            local.adds += 1
            return status == 200
        except (OSError, ConnectionError):
            local.api = None
            raise


class ListReads:
    def __init__(self, port: int, key: str) -> None:
        self.port, self.key = port, key
        self.local = threading.local()

    def __call__(self) -> bool:
        if getattr(self.local, "api", None) is None:
            self.local.api = ApiClient(self.port, self.key)
        try:
            return self.local.api.call("GET", "/api/v1/orders/")[0] == 200
        except (OSError, ConnectionError):
            self.local.api = None
            raise


# --- sampling ---------------------------------------------------------------------------------------------
def process_tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def rss_and_fds(pid: int) -> tuple[float, int]:
    """RSS (MB) and open file descriptors of a process with its children."""
    rss_kb, fds = 0, 0
    for member in process_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
            rss_kb += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
            fds += len(os.listdir(f"/proc/{member}/fd"))
        except OSError:
            continue
    return rss_kb / 1024, fds


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def temporal_store_mb(stack: Stack) -> float:
    return sum(p.stat().st_size for p in stack.workdir.glob("temporal.sqlite*")) / 2**20


def database_sample(url: str) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        states = dict(
            conn.execute(
                "SELECT coalesce(state, 'other'), count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1"
            ).fetchall()
        )
        sizes = {
            table: conn.execute("SELECT pg_total_relation_size(%s)", [table]).fetchone()[0] / 2**20 for table in TABLES
        }
        rows = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}
        database = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20
    return {
        "connections": sum(states.values()),
        "idle": states.get("idle", 0),
        "sizes": sizes,
        "rows": rows,
        "db_mb": database,
    }


class CpuMeter:
    """CPU of each stack process (with children) since the last reading, in % of one core."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.last, self.at = stack.cpu_seconds(), time.monotonic()

    def read(self) -> dict[str, float]:
        now, at = self.stack.cpu_seconds(), time.monotonic()
        span = max(at - self.at, 1e-6)
        used = {name: 100 * (now[name] - self.last.get(name, 0.0)) / span for name, _ in self.stack.procs}
        self.last, self.at = now, at
        return used


def sample(stack: Stack, url: str, elapsed: float, windows: dict[str, Window], cpu: CpuMeter) -> dict[str, Any]:
    row: dict[str, Any] = {"minute": elapsed / 60}
    used = cpu.read()
    for name, proc in stack.procs:
        rss, fds = rss_and_fds(proc.pid)
        row[f"rss:{name}"], row[f"fds:{name}"], row[f"cpu:{name}"] = rss, fds, used.get(name, float("nan"))
    row.update(database_sample(url))
    row["temporal_mb"] = temporal_store_mb(stack)
    for kind, window in windows.items():
        latencies, errors = window.take()
        row[f"n:{kind}"], row[f"errors:{kind}"] = len(latencies), errors
        row[f"p50:{kind}"], row[f"p99:{kind}"] = percentile(latencies, 0.5), percentile(latencies, 0.99)
    log(
        f"t={row['minute']:.1f} min: RSS web {row.get('rss:web', 0):.0f} MB, "
        f"workers {row.get('rss:workers-0', 0):.0f} MB ({row.get('cpu:workers-0', 0):.0f}% CPU), "
        f"temporal {row.get('rss:temporal', 0):.0f} MB; db conns {row['connections']} ({row['idle']} idle); "
        f"db {row['db_mb']:.1f} MB; temporal store {row['temporal_mb']:.1f} MB; "
        + "; ".join(f"{k} n={row[f'n:{k}']} p50={row[f'p50:{k}']:.0f} err={row[f'errors:{k}']}" for k in windows)
    )
    return row


# --- the end: what the retention purge reclaims ---------------------------------------------------------------
AGE_ROWS = (
    "UPDATE orders_idempotencyrecord SET created_at = created_at - %(age)s::interval, "
    "claimed_at = claimed_at - %(age)s::interval",
    "UPDATE webhooks_webhookevent SET created_at = created_at - %(age)s::interval",
    "UPDATE carts_cart SET updated_at = updated_at - %(age)s::interval",
)


def purge_after_aging(stack: Stack, url: str, age_days: float) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in AGE_ROWS:
            conn.execute(statement, {"age": f"{age_days} days"})
    dry_run = stack.manage("purge", "--dry-run", capture=True)
    began = time.perf_counter()
    report = stack.manage("purge", capture=True)
    seconds = time.perf_counter() - began
    log(f"purge after ageing every row {age_days} days ({seconds:.1f} s):\n{dry_run}{report}")
    return {"dry_run": dry_run.strip().splitlines(), "report": report.strip().splitlines(), "seconds": seconds}


# --- growth per hour ---------------------------------------------------------------------------------------------
def slope_per_hour(samples: list[dict[str, Any]], value: Callable[[dict[str, Any]], float]) -> float:
    """Least-squares slope over the samples after the first (warm-up) one, per hour."""
    points = [(s["minute"], value(s)) for s in samples[1:]] or [(s["minute"], value(s)) for s in samples]
    if len(points) < 2:
        return float("nan")
    mean_x = statistics.fmean(x for x, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return 60 * sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else float("nan")


def growth_rows(samples: list[dict[str, Any]], procs: list[str]) -> list[tuple[str, str, str, float, str]]:
    """(what, first sample, last sample, growth per hour, unit)."""
    first, last = samples[0], samples[-1]

    def row(what: str, unit: str, value: Callable[[dict[str, Any]], float], digits: int = 1) -> tuple:
        return (what, f"{value(first):.{digits}f}", f"{value(last):.{digits}f}", slope_per_hour(samples, value), unit)

    rows = [row(f"RSS {name}", "MB", lambda s, n=name: s[f"rss:{n}"], 0) for name in procs]
    rows += [row(f"open fds {name}", "", lambda s, n=name: s[f"fds:{n}"], 0) for name in procs]
    rows.append(row("PostgreSQL connections of the stack", "", lambda s: s["connections"], 0))
    rows.append(row("PostgreSQL database size", "MB", lambda s: s["db_mb"]))
    rows += [row(f"table {t} (with indexes)", "MB", lambda s, t=t: s["sizes"][t], 2) for t in TABLES]
    rows += [row(f"rows {t}", "rows", lambda s, t=t: s["rows"][t], 0) for t in TABLES]
    rows.append(row("Temporal store (SQLite + WAL)", "MB", lambda s: s["temporal_mb"]))
    return rows


def write(
    args: argparse.Namespace,
    samples: list[dict[str, Any]],
    loaded: int,
    procs: list[str],
    kinds: list[str],
    purge: dict,
    loads: tuple[float, float],
    env: dict[str, str],
) -> None:
    def cell(value: float, digits: int = 0) -> str:
        return "" if value != value else f"{value:.{digits}f}"

    minutes = samples[loaded - 1]["minute"]
    lines = [
        SECTION_START,
        "### Soak run (bench/soak.py)",
        "",
        f"Command: `python bench/soak.py {' '.join(sys.argv[1:])}` "
        f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {minutes:.1f} min of load)",
        "",
        f"Machine: {machine()}; 1-minute load average {loads[0]:.1f} before and {loads[1]:.1f} after. Load, open loop: "
        f"{args.orders} orders/s, {args.cart_adds} cart adds/s ({ADDS_PER_CART} per cart), {args.list_reads} order "
        f"list reads/s. Settings: {', '.join(f'{k}={v}' for k, v in env.items()) or 'defaults'}.",
        "",
        "Samples (one row per interval; latencies are the interval's requests, ms):",
        "",
        "| min | RSS web / workers / temporal MB | CPU % web / workers / temporal | fds web / workers "
        "| DB conns (idle) | DB MB | Temporal store MB | "
        + " | ".join(f"{k} n / p50 / p99 / err" for k in kinds)
        + " |",
        "|---" * (7 + len(kinds)) + "|",
    ]
    for index, s in enumerate(samples):
        idle = " (idle)" if index >= loaded else ""
        lines.append(
            f"| {s['minute']:.1f}{idle} | {s.get('rss:web', 0):.0f} / {s.get('rss:workers-0', 0):.0f} / "
            f"{s.get('rss:temporal', 0):.0f} | {cell(s.get('cpu:web', nan))} / {cell(s.get('cpu:workers-0', nan))} / "
            f"{cell(s.get('cpu:temporal', nan))} | {s.get('fds:web', 0)} / {s.get('fds:workers-0', 0)} "
            f"| {s['connections']} ({s['idle']}) | {s['db_mb']:.1f} "
            f"| {s['temporal_mb']:.1f} | "
            + " | ".join(
                f"{s[f'n:{k}']} / {cell(s[f'p50:{k}'])} / {cell(s[f'p99:{k}'])} / {s[f'errors:{k}']}" for k in kinds
            )
            + " |"
        )
    lines += [
        "",
        "Growth under load (least-squares slope over the loaded samples after the first, per hour; the idle "
        "samples are left out):",
        "",
        "| what | first sample | last sample | growth per hour |",
        "|---|---|---|---|",
    ]
    for what, first, last, per_hour, unit in growth_rows(samples[:loaded], procs):
        lines.append(f"| {what} | {first} | {last} | {cell(per_hour, 1)} {unit} |")
    lines += [
        "",
        f"Retention, measured: every row's timestamp moved {args.age_days:g} days back, then `manage.py purge` "
        f"({purge['seconds']:.1f} s, including the command's start):",
        "",
        *[f"- {line}" for line in purge["report"] if line],
        SECTION_END,
    ]
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text()
    body = "\n".join(lines)
    if SECTION_START in text:
        head, rest = text.split(SECTION_START, 1)
        text = head + body + rest.split(SECTION_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    path.write_text(text)
    log(f"results written to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=20, help=f"load duration (at most {MAX_MINUTES})")
    parser.add_argument("--orders", type=float, default=5, help="orders per second")
    parser.add_argument("--cart-adds", type=float, default=10, help="cart adds per second")
    parser.add_argument("--list-reads", type=float, default=5, help="order list reads per second")
    parser.add_argument("--sample-seconds", type=float, default=60)
    parser.add_argument("--idle-minutes", type=float, default=0, help="keep sampling this long after the load")
    parser.add_argument("--age-days", type=float, default=60, help="how far rows are aged before the final purge")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the stack (repeatable)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not 0 < args.minutes <= MAX_MINUTES:
        parser.error(f"--minutes must be in (0, {MAX_MINUTES}]")
    env = dict(item.split("=", 1) for item in args.env)
    admin_url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    loads_before = load_average()
    with (
        tempfile.TemporaryDirectory(prefix="oms-soak-") as tmp,
        BenchDatabase(admin_url) as db,
        stack_for(Path(tmp), db, "soak", extra_env=env) as stack,
    ):
        key = seed(stack)
        windows = {kind: Window() for kind in ("order", "cart add", "list")}
        stop = threading.Event()
        placer = order_bench.Placer(stack.web_port, key)
        skus = iter(range(10**9))
        loops = [
            OpenLoop(
                args.orders,
                lambda: placer.place(order_bench.SKUS[next(skus) % 20]) is not None,
                windows["order"],
                stop,
            ),
            OpenLoop(args.cart_adds, CartAdds(stack.web_port, key), windows["cart add"], stop),
            OpenLoop(args.list_reads, ListReads(stack.web_port, key), windows["list"], stop),
        ]
        began = time.monotonic()
        cpu = CpuMeter(stack)
        samples = [sample(stack, db.url, 0.0, windows, cpu)]
        for loop in loops:
            loop.start()
        end = began + args.minutes * 60
        while True:
            time.sleep(min(args.sample_seconds, max(0.0, end - time.monotonic())))
            if time.monotonic() >= end:
                stop.set()
                for loop in loops:
                    loop.join()  # in-flight requests end within their client timeouts and count in the last sample
                samples.append(sample(stack, db.url, time.monotonic() - began, windows, cpu))
                break
            samples.append(sample(stack, db.url, time.monotonic() - began, windows, cpu))
        loaded = len(samples)
        idle_end = time.monotonic() + args.idle_minutes * 60
        while time.monotonic() < idle_end:  # after the load: do connections and memory come back down?
            time.sleep(min(args.sample_seconds, max(0.0, idle_end - time.monotonic())))
            samples.append(sample(stack, db.url, time.monotonic() - began, windows, cpu))
        if not args.idle_minutes:
            time.sleep(5)  # the last orders finish
        purge = purge_after_aging(stack, db.url, args.age_days)
        procs = [name for name, _ in stack.procs]
    if not args.no_write:
        write(args, samples, loaded, procs, list(windows), purge, (loads_before, load_average()), env)


if __name__ == "__main__":
    main()
