"""Before/after of two (or more) checkouts on a busy machine: run_all's stack A phases, interleaved.

    python bench/ab_trees.py /path/to/before /path/to/after [--rounds 2]

Each round runs every tree once, one after the other, so both see the same background load; each tree runs its
own ``bench/run_all.py`` phases (no-op cart update ceiling, cart add, orders at 2/s, the two lists) against a fresh
PostgreSQL database and Temporal dev server. Compare CPU ms per operation (what the stack's processes spent), not
latency: on a machine shared with other work, latency follows the neighbours, CPU per operation much less.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

# Runs inside each tree (its own code, its own run_all): prints one "AB|workload|load|cpu_ms_op|errors|sql" line
# per row. Trees from before issue #19's floors run what they have (no list floors, the ceiling without a switch).
PHASES = """
import asyncio, inspect, os, sys, tempfile
from pathlib import Path
sys.path.insert(0, os.getcwd())
from bench import order_bench, run_all as ra
admin = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
table = ra.Table()
NAIVE = {"naive": False} if "naive" in inspect.signature(ra.temporal_ceiling).parameters else {}
with tempfile.TemporaryDirectory(prefix="oms-ab-") as tmp, ra.BenchDatabase(admin) as db:
    with ra.stack_for(Path(tmp), db, "a") as stack:
        key = ra.seed(stack)
        ra.run_noop_cart(table, stack, key, "A", 4)
        ra.run_carts(table, stack, key, "A", (1,))
        order_bench.run_orders(stack, order_bench.Placer(stack.web_port, key), 2, 2, fetch=db.order_results)
        ra.run_order_ramp(table, stack, key, db, "A", [2], 15)
        if hasattr(ra, "run_noop_orders"):
            ra.run_noop_orders(table, stack, "A", [2], 15)
        ra.run_lists(table, stack, key, "A", 3, floors=hasattr(ra, "LIST_FLOORS"))
        for label, r, cpu in asyncio.run(ra.temporal_ceiling(stack, [2], 15, **NAIVE)):
            ra.order_row(table, r, "A", cpu, label)
for row in table.rows:
    sql = f"{row.get('sql_web_op', float('nan')):.1f}/{row.get('sql_worker_op', float('nan')):.1f}"
    print(f"AB|{row['workload']}|{row['load']}|{row['cpu_ms_op']}|{row['errors']}|{sql}")
"""
# (operation, its floor) of issue #19's goals, with the goal's ratio: printed per tree under the table.
GOALS = [
    ("order list (API, 20 rows)", "minimal DRF list, same 20 orders (floor)", 1.3),
    ("order list (API, 20 rows)", "minimal DRF list, same 20 orders with their lines and events (floor)", 1.3),
    ("product list (API, 20 of 25 products)", "minimal DRF list, same 20 products (floor)", 1.3),
    (
        "product list (API, 20 of 25 products)",
        "minimal DRF list, same 20 products with their variants, stock and pictures (floor)",
        1.3,
    ),
    ("cart add (update + local activity)", "no-op cart update ceiling (update + no-op local activity)", 1.3),
    ("order placed -> confirmed", "no-op order", 1.6),
    ("order placed -> confirmed", "no-op saga", 1.6),
]


def run_tree(tree: Path) -> list[tuple[str, str, float, str, str]]:
    python = tree / ".venv" / "bin" / "python"
    out = subprocess.run(
        [str(python if python.exists() else sys.executable), "-c", PHASES],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = []
    for line in out.splitlines():
        if line.startswith("AB|"):
            _, workload, load, cpu, errors, *sql = line.split("|")
            rows.append((workload, load, float(cpu), errors, sql[0] if sql else ""))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    cpu: dict[tuple[str, str], dict[Path, list[float]]] = defaultdict(lambda: defaultdict(list))
    sql: dict[tuple[str, str], dict[Path, str]] = defaultdict(dict)
    errors: set[str] = set()
    for round_ in range(args.rounds):
        for tree in args.trees:
            print(f"round {round_ + 1}: {tree} ...", file=sys.stderr, flush=True)
            for workload, load, ms, errs, statements in run_tree(tree):
                cpu[(workload, load)][tree].append(ms)
                sql[(workload, load)][tree] = statements  # the same each run, but for retries
                if errs not in ("0", ""):
                    errors.add(f"{tree}: {workload} {load}: {errs} errors")
    names = [tree.name for tree in args.trees]
    print(f"| CPU ms per operation (each run); SQL statements per operation web/worker | load | {' | '.join(names)} |")
    print("|---|---|" + "---|" * len(names))
    for (workload, load), by_tree in cpu.items():
        cells = [
            f"{statistics.mean(by_tree[t]):.1f} ({', '.join(f'{v:.0f}' for v in by_tree[t])}); "
            f"SQL {sql[(workload, load)].get(t, '')}"
            if by_tree[t]
            else ""
            for t in args.trees
        ]
        print(f"| {workload} | {load} | {' | '.join(cells)} |")
    for line in sorted(errors):
        print(f"- errors: {line}")
    print()
    for operation, floor, goal in GOALS:
        for tree in args.trees:
            mine = mean_of(cpu, operation, tree, load="1 client")
            base = mean_of(cpu, floor, tree, load="1 client")
            ratio = mine / base if mine and base else float("nan")
            verdict = "met" if ratio <= goal else "NOT met"
            print(f"- {tree.name}: {operation} / {floor}: {ratio:.2f}x (goal <= {goal}x: {verdict})")


def mean_of(
    cpu: dict[tuple[str, str], dict[Path, list[float]]], workload: str, tree: Path, *, load: str
) -> float | None:
    """The mean CPU per operation of the first row whose workload starts with ``workload`` (at ``load`` when the
    workload has rows at several loads, as the cart rows do)."""
    rows = [(key, by_tree[tree]) for key, by_tree in cpu.items() if key[0].startswith(workload) and by_tree[tree]]
    preferred = [values for key, values in rows if key[1] == load] or [values for _, values in rows]
    return statistics.mean(preferred[0]) if preferred else None


if __name__ == "__main__":
    main()
