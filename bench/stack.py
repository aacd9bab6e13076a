"""The embedded OMS stack as separate processes, for benchmarks: Temporal dev server, workers, gunicorn.

Reusable: ``with Stack(workdir) as stack: ...`` starts everything (SQLite in ``workdir`` unless
``DATABASE_URL`` is set), ``stack.manage(...)`` runs management commands against it, ``stack.base_url`` is
the web server. The orders benchmark uses the same class.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from oms_project.binaries import dev_server_argv  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def process_stats() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds so far: utime + stime) of every process visible in /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return stats


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, summed over its cores (/proc/stat)."""
    tick = os.sysconf("SC_CLK_TCK")
    user, nice, system, idle, iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    busy = user + nice + system + irq + softirq + steal
    return busy / tick, (busy + idle + iowait) / tick


class CpuWindow:
    """The CPU a load phase costs: ``with CpuWindow(stack) as cpu: <load>``, then ``cpu.ms_per_op(n)``.

    Counts the stack's processes with their children (web workers, worker processes, the Temporal dev server,
    extra processes from ``Stack.spawn``) and the PostgreSQL backends of the stack's database (those still
    connected at the end; the web and workers keep theirs open, ``CONN_MAX_AGE``), plus this process if
    ``include_self`` (for phases whose workers run in the benchmark process). ``busy_pct`` is the whole
    machine's busy share over the phase (all cores, anyone's processes): near 100 means the phase was CPU bound.
    ``statements`` are the SQL statements the stack's web and worker processes ran over the phase (read a moment
    after it, when every process has written its count: bench/statements.py).
    """

    def __init__(self, stack: Stack, *, include_self: bool = False) -> None:
        self.stack, self.include_self = stack, include_self
        self.by_process: dict[str, float] = {}
        self.statements: dict[str, int] = {}
        self.busy_pct = float("nan")
        self.cores = self.core_count()

    @staticmethod
    def core_count() -> int:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

    def __enter__(self) -> CpuWindow:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> CpuWindow:
        time.sleep(STATEMENTS_SETTLE_SECONDS)  # every count written before the phase (its load has not begun)
        self._statements = statement_totals(self.stack.statements_dir)
        self._machine = machine_cpu_seconds()
        self._own = sum(os.times()[:2])
        self._stack = self.stack.cpu_seconds()
        return self

    def stop(self) -> None:
        after = self.stack.cpu_seconds()
        busy, total = machine_cpu_seconds()
        own = sum(os.times()[:2])
        grouped: dict[str, float] = {}
        for name, seconds in after.items():
            group = name.split(":", 1)[0]
            grouped[group] = grouped.get(group, 0.0) + seconds - self._stack.get(name, 0.0)
        if self.include_self:
            grouped["bench process"] = own - self._own
        self.by_process = grouped
        elapsed_total = total - self._machine[1]
        self.busy_pct = 100 * (busy - self._machine[0]) / elapsed_total if elapsed_total else float("nan")
        time.sleep(STATEMENTS_SETTLE_SECONDS)
        after_statements = statement_totals(self.stack.statements_dir)
        self.statements = {
            role: count - self._statements.get(role, 0) for role, count in sorted(after_statements.items())
        }

    @property
    def seconds(self) -> float:
        return sum(self.by_process.values())

    def ms_per_op(self, ops: int) -> float:
        return self.seconds * 1000 / ops if ops else float("nan")

    def statements_per_op(self, role: str, ops: int) -> float:
        return self.statements.get(role, 0) / ops if ops else float("nan")


STATEMENTS_SETTLE_SECONDS = 0.6  # the stack's processes write their statement counts every 0.25 s


def statement_totals(directory: Path) -> dict[str, int]:
    """SQL statements so far by role (web, worker), summed over the role's processes (bench/statements.py)."""
    totals: dict[str, int] = {}
    for path in directory.glob("*-*[0-9]"):
        role = path.name.split("-", 1)[0]
        totals[role] = totals.get(role, 0) + int(path.read_text())
    return totals


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Stack:
    def __init__(
        self,
        workdir: Path,
        *,
        web_workers: int = 2,
        web_threads: int = 8,
        worker_processes: int = 1,
        web_server: str = "gunicorn",
        extra_env: dict[str, str] | None = None,
        temporal_dynamic_config: Sequence[str] = ("history.maxInFlightUpdates=100",),
        sqlite_pragmas: Sequence[str] = ("journal_mode=wal",),
    ) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.web_workers, self.web_threads = web_workers, web_threads
        self.worker_processes = worker_processes
        if web_server not in ("gunicorn", "granian"):
            raise ValueError(f"web_server must be gunicorn or granian, not {web_server!r}")
        self.web_server = web_server
        self.temporal_port, self.web_port = free_port(), free_port()
        self.dynamic_config = list(temporal_dynamic_config)
        self.sqlite_pragmas = list(sqlite_pragmas)
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.env = {
            **os.environ,
            "OMS_DATA_DIR": str(self.workdir),
            "TEMPORAL_ADDRESS": f"127.0.0.1:{self.temporal_port}",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Never reached, over a one-second window: the throttle keeps (and pickles on every request) the times
            # of the window's requests, so a per-minute limit this high would make it the bench's own cost.
            "API_RATE_LIMIT": "100000/s",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            "BENCH_STATEMENTS_DIR": str(self.workdir / "statements"),  # bench settings only (bench/statements.py)
            **(extra_env or {}),
        }

    @property
    def statements_dir(self) -> Path:
        return Path(self.env["BENCH_STATEMENTS_DIR"])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def database(self) -> str:
        return self.env.get("DATABASE_URL") or f"SQLite {self.workdir / 'oms.sqlite3'}"

    def _spawn(self, name: str, args: Sequence[str]) -> subprocess.Popen:
        out = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append((name, proc))
        return proc

    def manage(self, *args: str, capture: bool = False) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True, capture_output=capture, text=True
        )
        return result.stdout if capture else ""

    def start(self) -> Stack:
        temporal_args = dev_server_argv(port=self.temporal_port, db_file=self.workdir / "temporal.sqlite")
        for pragma in self.sqlite_pragmas:
            temporal_args += ["--sqlite-pragma", pragma]
        for value in self.dynamic_config:
            temporal_args += ["--dynamic-config-value", value]
        log(f"starting Temporal dev server on :{self.temporal_port}")
        self._spawn("temporal", temporal_args)
        wait_for_port(self.temporal_port)
        log(f"migrating {self.database}")
        self.manage("migrate", "--noinput", "-v", "0")
        log(f"starting {self.worker_processes} x manage.py run_workers")
        for index in range(self.worker_processes):
            self._spawn(f"workers-{index}", [sys.executable, "manage.py", "run_workers"])
        self._spawn("web", self._web_args())
        self._wait_ready()
        return self

    @property
    def web_description(self) -> str:
        if self.web_server == "granian":
            return f"granian (WSGI) {self.web_workers} workers x {self.web_threads} blocking threads"
        return f"gunicorn {self.web_workers} workers x {self.web_threads} threads"

    def _web_args(self) -> list[str]:
        log(f"starting {self.web_description} on :{self.web_port}")
        binary = shutil.which(self.web_server, path=str(Path(sys.executable).parent)) or self.web_server
        if self.web_server == "granian":
            return [
                binary,
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.web_port),
                "--workers",
                str(self.web_workers),
                "--blocking-threads",
                str(self.web_threads),
                "--log-level",
                "warning",
                "oms_project.wsgi:application",
            ]
        return [
            binary,
            "oms_project.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.web_port}",
            "--workers",
            str(self.web_workers),
            "--threads",
            str(self.web_threads),
            "--worker-class",
            "gthread",
            # gunicorn's default 2 s closes the connections of load clients that wait at a barrier; behind a
            # load balancer keep-alive is long too.
            "--keep-alive",
            "75",
            "--log-level",
            "warning",
        ]

    def _wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.workdir / (name + '.log')}")
            try:
                with urllib.request.urlopen(self.base_url + "/readyz", timeout=2) as response:
                    if response.status == 200:
                        log("stack ready")
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError("the stack did not become ready")

    def stop(self) -> None:
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    log(f"{name} did not stop; killing it")
                    proc.kill()
                    proc.wait()
        self.procs.clear()

    def spawn(self, name: str, args: Sequence[str]) -> subprocess.Popen:
        """Start one more process with the stack's environment (stopped with the stack, counted by ``cpu_seconds``)."""
        return self._spawn(name, args)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used so far by each started process with its children, and by each PostgreSQL backend of
        the stack's database (``postgres:<pid>``: a backend only lives as long as its connection), from /proc."""
        stats = process_stats()

        def tree(pid: int) -> float:
            return stats.get(pid, (0, 0.0))[1] + sum(tree(child) for child, (ppid, _) in stats.items() if ppid == pid)

        usage = {name: tree(proc.pid) for name, proc in self.procs}
        for pid in self._database_backends():
            if pid in stats:
                usage[f"postgres:{pid}"] = stats[pid][1]
        return usage

    def _database_backends(self) -> list[int]:
        url = self.env.get("DATABASE_URL", "")
        if not url.startswith(("postgres://", "postgresql://")):
            return []
        with psycopg.connect(url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        return [pid for (pid,) in rows]

    def __enter__(self) -> Stack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
