"""Test fixtures: a real Temporal dev server and the project's real workers, a real database.

``DATABASE_URL`` decides the database (CI points it at PostgreSQL). Each run gets its own test database
name, so two runs on one machine never collide.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

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


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_blocker: pytest.FixtureRequest) -> None:
    db = settings.DATABASES["default"]
    # Worker threads must not keep connections open after their activity: an open connection would stop the
    # test database from being dropped at the end of the run.
    db["CONN_MAX_AGE"] = 0
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
    """The project's cart and order workers, polling the real queues of the test dev server."""

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
