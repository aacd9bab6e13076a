"""SQL statements per process of the benchmark stack, so the bench can print statements per operation.

Installed only by the bench settings (``bench.apps.BenchConfig``) when ``BENCH_STATEMENTS_DIR`` is set (bench/stack.py
sets it): every database connection gets an execute wrapper that counts its statements, and a daemon thread of each
web or worker process writes the process's running total to ``<dir>/<role>-<pid>`` four times a second. The bench
reads the files before and after a phase (bench/stack.py ``statement_totals``, ``CpuWindow``). Counting costs one
dict lookup per statement; nothing here runs in the project's own settings.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

WRITE_EVERY_SECONDS = 0.25
_per_thread: dict[int, list[int]] = {}  # thread id -> [statements]: no lock, each thread writes only its own
_writer_pid = 0


def process_role() -> str:
    """web (gunicorn or granian), worker (``manage.py run_workers``), or other (migrate, shell: not counted)."""
    argv = " ".join(sys.argv)
    if "run_workers" in argv:
        return "worker"
    if "gunicorn" in argv or "granian" in argv:
        return "web"
    return "other"


def _count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    tally = _per_thread.get(threading.get_ident())
    if tally is None:
        tally = _per_thread[threading.get_ident()] = [0]
        _start_writer()
    tally[0] += 1
    return execute(sql, params, many, context)


def _start_writer() -> None:
    """Once per process (after a fork too: gunicorn's workers are forked from its master)."""
    global _writer_pid
    if _writer_pid == os.getpid():
        return
    _writer_pid = os.getpid()
    directory = Path(os.environ["BENCH_STATEMENTS_DIR"])
    target = directory / f"{process_role()}-{os.getpid()}"

    def write_forever() -> None:
        while True:
            total = sum(tally[0] for tally in list(_per_thread.values()))
            partial = target.with_suffix(".partial")
            partial.write_text(str(total))
            partial.replace(target)  # atomic: a reader never sees a half-written number
            time.sleep(WRITE_EVERY_SECONDS)

    directory.mkdir(parents=True, exist_ok=True)
    threading.Thread(target=write_forever, name="bench-statements", daemon=True).start()


def _install(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if _count not in connection.execute_wrappers:  # a pooled wrapper "connects" again for every checkout
        connection.execute_wrappers.append(_count)


def install() -> None:
    if os.environ.get("BENCH_STATEMENTS_DIR") and process_role() != "other":
        connection_created.connect(_install, dispatch_uid="bench-statements")
