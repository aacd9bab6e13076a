"""Count the SQL statements an order's activities run, in whatever worker thread they run (issue #19: statements
per order asserted in tests, so a regression fails CI)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db.backends.signals import connection_created
from temporalio import activity


class ActivityStatements:
    """A process-wide ``execute_wrapper`` on every connection (installed when a connection is made, which with the
    pool is every time a thread takes one): each statement run inside an activity is counted under its workflow id
    and activity type. Statements outside activities (the test's own polling, the web request) are not counted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_workflow: dict[str, Counter[str]] = {}
        self.sql: dict[str, list[str]] = {}

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if activity.in_activity():
            info = activity.info()
            with self._lock:
                self.by_workflow.setdefault(info.workflow_id, Counter())[info.activity_type] += 1
                self.sql.setdefault(info.workflow_id, []).append(f"{info.activity_type}: {sql}")
        return execute(sql, params, many, context)

    def _install(self, sender: Any, connection: Any, **kwargs: Any) -> None:
        if self not in connection.execute_wrappers:
            connection.execute_wrappers.append(self)

    def of(self, workflow_id: str) -> Counter[str]:
        with self._lock:
            return Counter(self.by_workflow.get(workflow_id, Counter()))


@contextmanager
def activity_statements() -> Iterator[ActivityStatements]:
    counter = ActivityStatements()
    connection_created.connect(counter._install, weak=False)
    try:
        yield counter
    finally:
        connection_created.disconnect(counter._install)
