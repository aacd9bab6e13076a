"""Real processes that fault tests break: a Temporal dev server on its own database file, a private PostgreSQL
cluster, ``manage.py run_workers`` and gunicorn. Each runs in its own process group with its output in a log
file; ``ProcessSupervisor.close()`` (a fixture finalizer) kills every group it started, whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from django.conf import settings

from oms_project.binaries import dev_server_argv

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def poll_until(condition: Callable[[], T], *, timeout: float, what: str, interval: float = 0.2) -> T:
    """Call ``condition`` until it returns something truthy (exceptions count as not yet); its value."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            value = condition()
            if value:
                return value
        except AssertionError:
            raise
        except Exception as exc:  # a server still starting or restarting: keep polling
            last_error = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached after {timeout}s (last error: {last_error!r})")
        time.sleep(interval)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class ProcessSupervisor:
    """Starts processes in their own groups (logs under ``log_dir``) and kills what is left on ``close()``."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: Sequence[str], *, env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed by the child's exit
        process = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            env=dict(env or os.environ),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def signal(self, name: str, sig: signal.Signals) -> None:
        """Send ``sig`` to the whole group (gunicorn's workers, the dev server's children)."""
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)

    def kill(self, name: str) -> None:
        """kill -9 the group and reap the leader."""
        self.signal(name, signal.SIGKILL)
        self.processes[name].wait(30)

    def terminate(self, name: str, timeout: float = 30) -> None:
        self.signal(name, signal.SIGTERM)
        try:
            self.processes[name].wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill(name)

    def close(self) -> None:
        for name, process in reversed(list(self.processes.items())):
            self.signal(name, signal.SIGCONT)  # a stopped group would not die before SIGKILL is delivered anyway
            self.signal(name, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(30)


class DevServer:
    """``temporal server start-dev`` on a fixed port and database file, so it can be killed and restarted."""

    def __init__(self, supervisor: ProcessSupervisor, db_file: Path) -> None:
        self.supervisor, self.db_file = supervisor, db_file
        self.port = free_port()
        self.starts = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def name(self) -> str:
        return f"temporal-{self.starts}"

    def start(self, timeout: float = 90) -> None:
        self.starts += 1
        argv = dev_server_argv(
            port=self.port, db_file=self.db_file, extra=["--dynamic-config-value", "history.maxInFlightUpdates=100"]
        )
        process = self.supervisor.start(self.name, argv)
        poll_until(
            lambda: port_open(self.port) or process.poll() is not None,
            timeout=timeout,
            what=f"Temporal dev server on :{self.port}",
        )
        assert process.poll() is None, self.supervisor.log(self.name)

    def kill(self) -> None:
        self.supervisor.kill(self.name)


class PostgresCluster:
    """A throwaway PostgreSQL 15 cluster (initdb + pg_ctl) on a free port, owned by the ``postgres`` user:
    PostgreSQL refuses to run as root, and the shared cluster on 5432 must never be stopped."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="oms-faults-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.data, self.logfile = self.dir / "data", self.dir / "postgres.log"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/oms"

    def _as_postgres(self, *argv: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, *argv], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._as_postgres(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"
        )
        self.start()
        subprocess.run(
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "oms"], check=True
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.logfile),
            "-o",
            options,
            "-w",
            "-t",
            "120",
            "start",
        )

    def stop(self, mode: str = "immediate") -> None:
        """``immediate``: the server dies without a checkpoint, every session is cut (a crash, recovered on start)."""
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError):
                self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def current_database_url() -> str:
    """The database this process uses (the test database), for its child processes."""
    from django.db import connection

    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def app_env(*, database_url: str, temporal_address: str, **extra: str) -> dict[str, str]:
    """The environment of the project's own processes (workers, gunicorn) in a fault test."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": temporal_address,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "fault-tests-only-secret-key-not-for-production-0123456789",
        # The same order-number secret as this test process, so a test can name the order a request became.
        "ORDER_NUMBER_KEY": settings.ORDER_NUMBER_KEY or settings.SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "API_RATE_LIMIT": "1000000/min",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def start_workers(
    supervisor: ProcessSupervisor, name: str, env: Mapping[str, str], timeout: float = 90, queue: str = "order"
) -> None:
    """``manage.py run_workers`` for one logical queue (the order queue by default); returns once it polls."""
    process = supervisor.start(name, [sys.executable, "manage.py", "run_workers", "--queue", queue], env=env)
    poll_until(
        lambda: "Workers polling" in supervisor.log(name) or process.poll() is not None,
        timeout=timeout,
        what=f"{name} polling",
    )
    assert process.poll() is None, f"{name} exited:\n{supervisor.log(name)}"


def start_web(supervisor: ProcessSupervisor, name: str, env: Mapping[str, str], timeout: float = 90) -> str:
    """gunicorn serving the project (one worker process, threads) on a free port; returns its base URL."""
    port = free_port()
    binary = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    argv = [binary, "oms_project.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    argv += ["--threads", "4", "--worker-class", "gthread", "--timeout", "120", "--log-level", "warning"]
    process = supervisor.start(name, argv, env=env)
    base_url = f"http://127.0.0.1:{port}"

    def live() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"{name} exited:\n{supervisor.log(name)}")
        with urllib.request.urlopen(base_url + "/healthz", timeout=5) as response:
            return response.status == 200

    poll_until(live, timeout=timeout, what=f"{name} answering")
    return base_url
