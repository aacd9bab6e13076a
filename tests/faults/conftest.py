"""Fixtures of the fault tests: every process they start is killed (whole group) when the test ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from oms_project import temporal
from tests.faults.processes import DevServer, ProcessSupervisor
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
