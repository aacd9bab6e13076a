"""Fixtures of the fault tests: every process they start is killed (whole group) when the test ends."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from oms_project import temporal
from tests.faults.processes import PG_BIN, ROOT, DevServer, PostgresCluster, ProcessSupervisor, app_env
from tests.temporal_env import settings_override


@pytest.fixture
def supervisor(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[ProcessSupervisor]:
    processes = ProcessSupervisor(tmp_path)
    yield processes
    processes.close()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:  # the children's logs explain most failures
        for name in processes.processes:
            print(f"--- {name} ---\n{processes.log(name)[-4000:]}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def dedicated_temporal(supervisor: ProcessSupervisor, tmp_path: Path) -> Iterator[DevServer]:
    """A dev server of this test only (on a database file, so a restart keeps every workflow); the Django
    code of this process talks to it while the test runs."""
    server = DevServer(supervisor, tmp_path / "temporal.sqlite")
    server.start()
    with settings_override(TEMPORAL_ADDRESS=server.address):
        temporal.bridge.reset()
        try:
            yield server
        finally:
            temporal.bridge.reset()


@pytest.fixture
def private_postgres(django_db_blocker: Any, temporal_server: str) -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster of this test only, migrated, that the test may stop and start; while the test runs,
    this process's ORM uses it (the shared server on 5432 and the test database are left alone)."""
    if not (PG_BIN / "initdb").exists():
        # CI runs on a machine that has them: a skip there would hide the fault test.
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"needs the PostgreSQL 15 server binaries in {PG_BIN}")
    cluster = PostgresCluster()
    try:
        cluster.init()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=app_env(database_url=cluster.url, temporal_address=temporal_server),
            check=True,
            timeout=300,
        )
        with django_db_blocker.unblock(), using_database(cluster):
            yield cluster
    finally:
        cluster.destroy()


@contextlib.contextmanager
def using_database(cluster: PostgresCluster) -> Iterator[None]:
    """Point the default alias at ``cluster``: every thread's connection shares this settings dict."""
    settings_dict = connection.settings_dict
    saved = {key: settings_dict[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")}
    _close_connection_and_pool()
    settings_dict.update(NAME="oms", USER="postgres", PASSWORD="", HOST="127.0.0.1", PORT=str(cluster.port))
    try:
        yield
    finally:
        _close_connection_and_pool()
        settings_dict.update(saved)


def _close_connection_and_pool() -> None:
    """A connection pool (the PostgreSQL default) keeps connections to the old server: it goes too."""
    connection.close()
    if connection.settings_dict.get("OPTIONS", {}).get("pool"):
        connection.close_pool()
