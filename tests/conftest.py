"""Test fixtures: a real Temporal dev server and the project's real workers, a real database.

``DATABASE_URL`` decides the database (CI points it at PostgreSQL). Each run gets its own test database
name, so two runs on one machine never collide.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from django.conf import settings

from oms_project import temporal
from tests.temporal_env import LoopThread, RunningWorkers, start_dev_server, start_time_skipping


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); CI runs it")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
    # Playwright's sync API keeps an event loop running on the main thread for the rest of the session, after
    # which pytest-asyncio cannot run async tests: browser tests go last.
    items.sort(key=lambda item: "browser" in item.keywords)


@pytest.fixture(scope="session", autouse=True)
def media_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Uploaded and generated pictures (seed_demo, image tests) go to a folder of this run, not the checkout's."""
    previous = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    yield settings.MEDIA_ROOT
    settings.MEDIA_ROOT = previous


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_blocker: pytest.FixtureRequest) -> None:
    db = settings.DATABASES["default"]
    # Worker threads must not keep connections open after their activity: an open connection would stop the
    # test database from being dropped at the end of the run.
    db["CONN_MAX_AGE"] = 0
    if "pool" in db.get("OPTIONS", {}):
        # This process hosts the workers and the test's own threads, which keep their connection while they wait
        # on a workflow whose activities need one: the pool must exceed those threads (20 at most in a test),
        # and stay well under the 100 connections several test runs share on one machine.
        db["OPTIONS"]["pool"] = {**db["OPTIONS"]["pool"], "max_size": 30, "timeout": 30, "reconnect_timeout": 10}
    if db["ENGINE"].endswith("postgresql"):
        db.setdefault("TEST", {})["NAME"] = f"test_oms_{os.getpid()}"
        with django_db_blocker.unblock():  # type: ignore[attr-defined]
            drop_abandoned_test_databases()


def drop_abandoned_test_databases() -> None:
    """Drop ``test_oms_<pid>`` databases of runs that died on this machine (their pid is gone)."""
    from django.db import connection

    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname ~ '^test_oms_[0-9]+$'")
        for (name,) in cursor.fetchall():
            pid = int(name.rsplit("_", 1)[1])
            if pid != os.getpid() and not os.path.exists(f"/proc/{pid}"):
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", autouse=True)
def release_test_database(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """At the very end, end sessions still attached to the test database (a worker thread, a browser test's
    connection) so that pytest-django can drop it."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    connection.close()


@pytest.fixture(scope="session", autouse=True)
def flush_retries_on_lock_conflicts() -> Iterator[None]:
    """Workflows outlive the test that started them; an activity still writing can deadlock with the
    TRUNCATE of a transactional test's teardown. PostgreSQL then aborts one side: retry the flush."""
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown

    def teardown(self: TransactionTestCase) -> None:
        for _ in range(4):
            try:
                return original(self)
            except Exception as exc:
                if "deadlock detected" not in repr(exc.__cause__) + repr(exc):
                    raise
                time.sleep(0.5)
        return original(self)

    TransactionTestCase._fixture_teardown = teardown  # type: ignore[method-assign]
    yield
    TransactionTestCase._fixture_teardown = original  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def temporal_loop() -> Iterator[LoopThread]:
    loop = LoopThread("temporal-test-loop")
    yield loop
    loop.stop()


@pytest.fixture(scope="session")
def temporal_server(temporal_loop: LoopThread) -> Iterator[str]:
    """A real dev server; Django code in this process (the client bridge) is pointed at it."""
    env = temporal_loop.run(start_dev_server())
    address = env.client.service_client.config.target_host
    old = settings.TEMPORAL_ADDRESS
    settings.TEMPORAL_ADDRESS = address
    temporal.bridge.reset()
    yield address
    settings.TEMPORAL_ADDRESS = old
    temporal.bridge.reset()
    temporal_loop.run(env.shutdown())


@pytest.fixture(scope="session")
def oms_workers(temporal_server: str, temporal_loop: LoopThread, django_db_setup: None) -> Iterator[RunningWorkers]:
    """The project's cart, order and webhook workers, polling the real queues of the test dev server."""

    async def connect_client():  # type: ignore[no-untyped-def]
        return await temporal.connect(temporal_server)

    client = temporal_loop.run(connect_client())
    workers = RunningWorkers(temporal_loop, client)
    yield workers
    workers.stop()


@pytest.fixture
def live_oms(oms_workers: RunningWorkers, transactional_db: None) -> RunningWorkers:
    """What an integration test needs: dev server + workers + a database the worker threads can see."""
    return oms_workers


@pytest.fixture
async def skip_env() -> AsyncIterator:
    """A time-skipping test server for timer tests (``await skip_env.sleep(timedelta(days=2))``)."""
    env = await start_time_skipping()
    try:
        yield env
    finally:
        await env.shutdown()
