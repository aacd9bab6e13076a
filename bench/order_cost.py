"""What one order costs, in load-independent units: CPU milliseconds per process, PostgreSQL transactions and
Temporal history events (workflow tasks, activity tasks, markers, timers) per order placed -> confirmed.

    python bench/order_cost.py [--orders 100] [--rate 5] [--worker-processes 1] [--env NAME=VALUE ...]

Counts, unlike wall-clock rates, barely move when other processes share the machine, so they compare two
versions of the code (or a lever) measured minutes apart. Same stack as ``run_all.py`` (a fresh PostgreSQL
database, ``bench/stack.py``); prints the table, writes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench import order_bench
from bench.run_all import BenchDatabase, seed, stack_for
from bench.stack import CpuWindow, log

EVENTS_SHOWN = {
    "WORKFLOW_TASK_COMPLETED": "workflow tasks",
    "ACTIVITY_TASK_SCHEDULED": "activity tasks",
    "MARKER_RECORDED": "markers (local activities, patches)",
    "TIMER_STARTED": "timers",
    "WORKFLOW_EXECUTION_UPDATE_ACCEPTED": "updates",
}


def commits(db: BenchDatabase) -> int:
    """Committed transactions in the bench database so far (all connections; the stats lag up to a second)."""
    with psycopg.connect(db.url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
        return conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").fetchone()[0]


async def history_counts(address: str, numbers: list[str]) -> tuple[collections.Counter, int]:
    """Event types summed over the orders' histories, and the number of histories read."""
    client = await Client.connect(address)
    counts: collections.Counter = collections.Counter()
    for number in numbers:
        history = await client.get_workflow_handle(f"order-{number}").fetch_history()
        counts["events"] += len(history.events)
        for event in history.events:
            counts[EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")] += 1
    return counts, len(numbers)


async def email_workflows(address: str) -> int:
    """EmailWorkflow executions on the stack's server (warm-up included): one per e-mail before ADR 0142, one per
    e-mail whose first attempt failed after it."""
    client = await Client.connect(address)
    return (await client.count_workflows("WorkflowType = 'EmailWorkflow'")).count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--rate", type=float, default=5)
    parser.add_argument("--worker-processes", type=int, default=1)
    parser.add_argument("--env", nargs="*", default=[], help="NAME=VALUE for the stack's processes (a lever)")
    parser.add_argument(
        "--temporal-config", nargs="*", default=[], help="extra dev server dynamic config NAME=VALUE (a lever)"
    )
    parser.add_argument("--py-spy", metavar="DIR", help="sample the workers and web with py-spy (raw stacks)")
    args = parser.parse_args()
    extra_env = dict(item.split("=", 1) for item in args.env)
    admin_url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    with (
        tempfile.TemporaryDirectory(prefix="oms-order-cost-") as tmp,
        BenchDatabase(admin_url) as db,
        stack_for(
            Path(tmp),
            db,
            "cost",
            worker_processes=args.worker_processes,
            extra_env=extra_env,
            temporal_dynamic_config=["history.maxInFlightUpdates=100", *args.temporal_config],
        ) as stack,
    ):
        key = seed(stack)
        placer = order_bench.Placer(stack.web_port, key)
        log("warm-up: 20 orders")
        order_bench.run_orders(stack, placer, 5, 4, fetch=db.order_results)
        time.sleep(2)  # webhook publishes of the warm-up finish
        xact_before = commits(db)
        window = CpuWindow(stack).start()
        samplers = [
            subprocess.Popen(
                [
                    *(shutil.which("py-spy") or "py-spy", "record", "--format", "raw", "--nonblocking", "--gil"),
                    *("--rate", "200", "--duration", str(int(args.orders / args.rate)), "--subprocesses"),
                    *("--pid", str(proc.pid), "--output", str(Path(args.py_spy) / f"{name}.txt")),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for name, proc in stack.procs
            if args.py_spy and name != "temporal"
        ]
        numbers: list[str] = []

        def fetch(batch: list[str]) -> dict:
            numbers[:] = batch
            time.sleep(1)  # fewer polls: each is a transaction of its own
            return db.order_results(batch)

        result = order_bench.run_orders(stack, placer, args.rate, args.orders / args.rate, fetch=fetch)
        time.sleep(3)  # side work (webhook publishes) of the last orders
        for sampler in samplers:
            sampler.wait()
        window.stop()
        xact_after = commits(db)
        done = result["completed"]
        log(f"{done} confirmed, errors {result['errors']}, p50 {result['p50_ms']:.0f} ms, {result['achieved']:.1f}/s")
        counts, read = asyncio.run(history_counts(stack.env["TEMPORAL_ADDRESS"], numbers[:20]))
        lever = " ".join([*args.env, *args.temporal_config]) or "defaults"
        print(f"\nper order ({done} orders, histories of {read}; {lever}):")
        for name, seconds in window.by_process.items():
            print(f"  CPU ms {name:<12} {seconds * 1000 / done:7.1f}")
        print(f"  CPU ms {'total':<12} {window.ms_per_op(done):7.1f}  (machine {window.busy_pct:.0f}% busy)")
        print(f"  PostgreSQL commits   {(xact_after - xact_before) / done:7.1f}")
        for role in ("web", "worker"):
            print(f"  SQL statements {role:<6} {window.statements_per_op(role, done):7.1f}")
        total = done + 20  # with the warm-up's orders
        print(f"  EmailWorkflows       {asyncio.run(email_workflows(stack.env['TEMPORAL_ADDRESS'])) / total:7.2f}")
        print(f"  history events       {counts['events'] / read:7.1f}")
        for event, label in EVENTS_SHOWN.items():
            print(f"  {label:<20} {counts[event] / read:7.1f}")


if __name__ == "__main__":
    main()
