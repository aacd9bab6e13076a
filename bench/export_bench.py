"""CSV export of 100k orders from the admin's export code: time, peak Python memory, queries.

Creates a scratch PostgreSQL database (dropped afterwards), fills it with synthetic orders, streams the export
and prints one Markdown row. Recorded in docs/benchmarks.md ("Admin CSV export").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_export_bench .venv/bin/python bench/export_bench.py [N]
"""

from __future__ import annotations

import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms_project.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_export_bench")

import django
import psycopg

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402

from backoffice.export import order_csv_response  # noqa: E402
from orders.models import Order  # noqa: E402
from tests.unit.backoffice.factories import bulk_orders  # noqa: E402


def main(count: int) -> None:
    name = settings.DATABASES["default"]["NAME"]
    admin = psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        for batch in range(0, count, 10_000):
            bulk_orders(min(10_000, count - batch), prefix=f"B{batch // 10_000:03d}")
            print(f"  created {min(batch + 10_000, count)} / {count} orders", flush=True)
        print(f"fill: {time.perf_counter() - started:.1f} s", flush=True)

        settings.DEBUG = True  # count queries
        reset_queries()
        tracemalloc.start()
        started = time.perf_counter()
        response = order_csv_response(Order.objects.all())
        size = rows = 0
        for chunk in response.streaming_content:
            size += len(chunk)
            rows += chunk.count(b"\n")
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        queries = len(connection.queries)
        print("| orders | CSV lines | MB | seconds | rows/s | peak Python memory MB | queries |")
        print("|---|---|---|---|---|---|---|")
        print(
            f"| {count} | {rows} | {size / 1e6:.1f} | {elapsed:.1f} | {rows / elapsed:.0f} | "
            f"{peak / 1e6:.1f} | {queries} |"
        )
    finally:
        connection.close()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
