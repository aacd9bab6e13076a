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

# Runs inside each tree (its own code, its own run_all): prints one "AB|workload|load|cpu_ms_op" line per row.
PHASES = """
import os, sys, tempfile
from pathlib import Path
sys.path.insert(0, os.getcwd())
from bench import order_bench, run_all as ra
admin = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
table = ra.Table()
with tempfile.TemporaryDirectory(prefix="oms-ab-") as tmp, ra.BenchDatabase(admin) as db:
    with ra.stack_for(Path(tmp), db, "a") as stack:
        key = ra.seed(stack)
        ra.run_noop_cart(table, stack, key, "A", 4)
        ra.run_carts(table, stack, key, "A", (1,))
        order_bench.run_orders(stack, order_bench.Placer(stack.web_port, key), 2, 2, fetch=db.order_results)
        ra.run_order_ramp(table, stack, key, db, "A", [2], 15)
        ra.run_lists(table, stack, key, "A", 3)
for row in table.rows:
    print(f"AB|{row['workload']}|{row['load']}|{row['cpu_ms_op']}|{row['errors']}")
"""


def run_tree(tree: Path) -> list[tuple[str, str, float, str]]:
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
            _, workload, load, cpu, errors = line.split("|")
            rows.append((workload, load, float(cpu), errors))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    cpu: dict[tuple[str, str], dict[Path, list[float]]] = defaultdict(lambda: defaultdict(list))
    errors: set[str] = set()
    for round_ in range(args.rounds):
        for tree in args.trees:
            print(f"round {round_ + 1}: {tree} ...", file=sys.stderr, flush=True)
            for workload, load, ms, errs in run_tree(tree):
                cpu[(workload, load)][tree].append(ms)
                if errs not in ("0", ""):
                    errors.add(f"{tree}: {workload} {load}: {errs} errors")
    names = [tree.name for tree in args.trees]
    print(f"| CPU ms per operation (each run) | load | {' | '.join(names)} |")
    print("|---|---|" + "---|" * len(names))
    for (workload, load), by_tree in cpu.items():
        cells = [f"{statistics.mean(by_tree[t]):.0f} ({', '.join(f'{v:.0f}' for v in by_tree[t])})" for t in args.trees]
        print(f"| {workload} | {load} | {' | '.join(cells)} |")
    for line in sorted(errors):
        print(f"- errors: {line}")


if __name__ == "__main__":
    main()
