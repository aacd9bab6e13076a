"""A saga helper for workflows: register a compensation before each step, run them in reverse on failure.

Pure workflow-side code (``temporalio.workflow``, ``temporalio.common`` and the stdlib only), so workflow
modules can import it. Usage and guarantees: docs/sagas.md.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

from oms_project.payload_types import resolve_annotations

PENDING = "pending"
RUNNING = "running"
DONE = "done"


@dataclass
class CompensationRecord:
    """What one compensation is doing or did; workflows expose these in their progress query."""

    step: str
    activity: str
    local: bool = False
    status: str = PENDING  # pending | running | done
    attempts: int = 0  # executions started by the saga (Temporal's own retries inside one are not counted)
    last_error: str | None = None  # the latest failure that made the saga start the activity again
    started_at: str | None = None  # ISO 8601, workflow time
    finished_at: str | None = None


@dataclass
class _Compensation:
    record: CompensationRecord
    arg: Any
    start_to_close_timeout: timedelta


class Saga:
    """Compensations of a multi-step process, run newest first, each until it succeeds.

    ``compensate()`` runs in its own asyncio task and waits for it under ``asyncio.shield``: cancelling the
    workflow does not interrupt it; the cancellation is re-raised once every compensation is done. Each
    activity runs with ``RetryPolicy(maximum_attempts=0)`` (Temporal retries transient failures forever with
    capped backoff); a failure that still reaches the saga (non-retryable error, timeout) is recorded in
    ``last_error`` and the activity is started again after a capped, doubling pause.
    """

    def __init__(
        self,
        *,
        on_compensation: Callable[[CompensationRecord], Awaitable[None]] | None = None,
        start_to_close_timeout: timedelta = timedelta(seconds=30),
        maximum_interval: timedelta = timedelta(minutes=1),
    ) -> None:
        self._on_compensation = on_compensation
        self._start_to_close_timeout = start_to_close_timeout
        self._maximum_interval = maximum_interval
        self._retry_policy = RetryPolicy(
            initial_interval=timedelta(seconds=1),
            backoff_coefficient=2.0,
            maximum_interval=maximum_interval,
            maximum_attempts=0,
        )
        self._compensations: list[_Compensation] = []
        self._task: asyncio.Task[None] | None = None

    def add_compensation(
        self,
        step: str,
        activity: str,
        arg: Any,
        *,
        local: bool = False,
        start_to_close_timeout: timedelta | None = None,
    ) -> None:
        """Register BEFORE running the step: a step that failed half-way (or timed out after doing its work)
        must be compensated too, so compensations must be idempotent and safe when the step never ran.

        Registering while (or after) compensating is allowed (a step that was in flight when a cancel update
        started the compensation): a running ``compensate()`` picks it up next, a finished one on the next call.
        Check ``compensating`` before starting another step."""
        if self._task is not None:
            workflow.logger.warning("compensation for step %s registered while compensating", step)
        record = CompensationRecord(step=step, activity=activity, local=local)
        self._compensations.append(
            _Compensation(
                record=record, arg=arg, start_to_close_timeout=start_to_close_timeout or self._start_to_close_timeout
            )
        )

    @property
    def pending(self) -> list[str]:
        """Steps whose compensation has not completed, in the order they would run."""
        return [c.record.step for c in reversed(self._compensations) if c.record.status != DONE]

    @property
    def records(self) -> list[CompensationRecord]:
        """Every registered compensation, newest registration first (the order they run), as copies."""
        return [dataclasses.replace(c.record) for c in reversed(self._compensations)]

    @property
    def compensating(self) -> bool:
        return self._task is not None

    async def compensate(self) -> None:
        """Run every registered compensation not yet done (newest first) to completion. A second call runs
        nothing more (it waits for the first to finish) unless compensations were registered since. A
        cancellation arriving meanwhile is re-raised only after all are done."""
        if self._task is None or (self._task.done() and self._next() is not None):
            self._task = asyncio.create_task(self._run_all())
        cancelled = False
        while not self._task.done():
            try:
                await asyncio.shield(self._task)
            except asyncio.CancelledError:
                if self._task.cancelled():
                    raise
                cancelled = True  # our caller was cancelled, the compensations carry on
        if cancelled:
            raise asyncio.CancelledError
        self._task.result()

    def _next(self) -> _Compensation | None:
        return next((c for c in reversed(self._compensations) if c.record.status == PENDING), None)

    async def _run_all(self) -> None:
        # Newest pending first, one at a time; re-evaluated after each, so late registrations run too.
        while (compensation := self._next()) is not None:
            await self._run(compensation)
            if self._on_compensation is not None:
                try:
                    await self._on_compensation(dataclasses.replace(compensation.record))
                except Exception:  # recording is best effort; it must not stop the next compensation
                    workflow.logger.exception("on_compensation failed for %s", compensation.record.step)

    async def _run(self, compensation: _Compensation) -> None:
        record = compensation.record
        record.status = RUNNING
        record.started_at = workflow.now().isoformat()
        pause = timedelta(seconds=1)
        while True:
            record.attempts += 1
            try:
                if record.local:
                    await workflow.execute_local_activity(
                        record.activity,
                        compensation.arg,
                        start_to_close_timeout=compensation.start_to_close_timeout,
                        retry_policy=self._retry_policy,
                    )
                else:
                    await workflow.execute_activity(
                        record.activity,
                        compensation.arg,
                        start_to_close_timeout=compensation.start_to_close_timeout,
                        retry_policy=self._retry_policy,
                    )
                break
            except Exception as error:  # every failure means "try again", recorded in last_error
                record.last_error = _describe(error)
                workflow.logger.warning(
                    "compensation %s (%s) failed, retrying in %s: %s",
                    record.step,
                    record.activity,
                    pause,
                    record.last_error,
                )
                await workflow.sleep(pause)
                pause = min(pause * 2, self._maximum_interval)
        record.status = DONE
        record.finished_at = workflow.now().isoformat()


def _describe(error: BaseException) -> str:
    cause = error.__cause__ or error
    kind = getattr(cause, "type", None) or type(cause).__name__
    return f"{kind}: {cause}"[:500]


resolve_annotations(globals())  # types, not strings, for the payload converter (oms_project.payload_types)
