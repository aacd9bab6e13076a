"""The only place that talks to the Temporal client from Django code.

Web views are synchronous; the Temporal client is asyncio. One long-lived client lives on a dedicated
event-loop thread per process (see docs/adr/0003-sync-views-temporal-bridge.md), and the helpers below
submit coroutines to it and wait. Failures come back as ``DomainError`` (business refusals from a validator
or workflow) or ``TemporalUnavailable`` (the server cannot be reached).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NoReturn, TypeVar

from django.conf import settings
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import (
    Client,
    RPCError,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
    WithStartWorkflowOperation,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateStage,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.runtime import Runtime
from temporalio.service import RPCStatusCode, TLSConfig

from oms_project import payload_codec
from oms_project.connections import hand_back_connection
from oms_project.errors import DomainError, NotFound, TemporalUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")


def exit_process(code: int, message: str = "") -> NoReturn:
    """Leave a command at once after the Temporal client was created.

    The SDK's native runtime threads can abort interpreter finalization (SIGABRT, a crash dump instead of the
    one-line error) when the process exits right after a failed connect, so commands skip finalization.
    """
    if message:
        sys.stderr.write(message.rstrip("\n") + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def temporal_address() -> str:
    return settings.TEMPORAL_ADDRESS or settings.TEMPORAL_EMBEDDED_ADDRESS


def _tls_config() -> bool | TLSConfig:
    if not settings.TEMPORAL_TLS:
        return False
    if not (settings.TEMPORAL_TLS_CLIENT_CERT or settings.TEMPORAL_TLS_CLIENT_KEY or settings.TEMPORAL_TLS_SERVER_CA):
        return True

    def read(path: str) -> bytes | None:
        if not path:
            return None
        with open(path, "rb") as handle:
            return handle.read()

    return TLSConfig(
        client_cert=read(settings.TEMPORAL_TLS_CLIENT_CERT),
        client_private_key=read(settings.TEMPORAL_TLS_CLIENT_KEY),
        server_root_ca_cert=read(settings.TEMPORAL_TLS_SERVER_CA),
    )


async def connect(address: str | None = None, namespace: str | None = None, runtime: Runtime | None = None) -> Client:
    """A new client configured from settings (workers and the bridge both use this).

    With ``OTEL_ENABLED`` the client carries the tracing interceptor (workers built on it inherit it);
    ``runtime`` lets ``run_workers`` export the SDK's metrics (``WORKER_METRICS_ADDRESS``).
    """
    from oms_project import tracing

    try:
        return await Client.connect(
            address or temporal_address(),
            namespace=namespace or settings.TEMPORAL_NAMESPACE,
            api_key=settings.TEMPORAL_API_KEY or None,
            tls=_tls_config(),
            # Encrypts payloads with TEMPORAL_PAYLOAD_KEYS; workers built on this client inherit it.
            data_converter=payload_codec.data_converter(),
            interceptors=tracing.temporal_interceptors(),
            runtime=runtime,
        )
    except RuntimeError as exc:  # the Rust core raises RuntimeError for connection failures
        raise TemporalUnavailable(
            f"Cannot reach Temporal at {address or temporal_address()} "
            f"(namespace {namespace or settings.TEMPORAL_NAMESPACE}): {exc}"
        ) from exc


class _ClientBridge:
    """A background event loop that owns one client; safe to use from any thread, reset after fork."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Client | None = None

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is not None and self._pid == os.getpid():
            return self._loop
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="temporal-client-loop", daemon=True)
                thread.start()
                self._loop, self._pid, self._client = loop, os.getpid(), None
        return self._loop

    async def _get_client(self) -> Client:
        # Runs on the bridge loop only, so no lock is needed around the lazy connect.
        if self._client is None:
            self._client = await connect()
        return self._client

    def run(self, fn: Callable[[Client], Awaitable[T]], timeout: float | None = None) -> T:
        loop = self._ensure_loop()
        # The caller's context (log fields, the OpenTelemetry span) follows the call onto the loop thread,
        # so logs and traces of the Temporal call belong to the request that made it.
        caller = contextvars.copy_context()

        async def call() -> T:
            for var, value in caller.items():
                var.set(value)
            return await fn(await self._get_client())

        future = asyncio.run_coroutine_threadsafe(call(), loop)
        try:
            return future.result(timeout=timeout or settings.TEMPORAL_RPC_TIMEOUT.total_seconds() * 3)
        except TimeoutError as exc:
            future.cancel()
            raise TemporalUnavailable("The workflow service did not answer in time.") from exc

    def reset(self) -> None:
        """Forget the client (tests point settings at a new server)."""
        with self._lock:
            self._client = None


bridge = _ClientBridge()


def run(fn: Callable[[Client], Awaitable[T]], timeout: float | None = None) -> T:
    """Run ``fn(client)`` on the shared client and translate Temporal failures into domain errors. The thread's
    pooled database connection is handed back first: a request waiting on a workflow must not hold one."""
    hand_back_connection()
    try:
        return bridge.run(fn, timeout)
    except (WorkflowUpdateFailedError, WorkflowQueryFailedError) as exc:
        raise _domain_error_from(exc) from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise NotFound(str(exc)) from exc
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            raise TemporalUnavailable(str(exc)) from exc
        raise


def _domain_error_from(exc: Exception) -> DomainError:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ApplicationError):
            return application_error_to_domain(cause)
        cause = cause.__cause__
    return DomainError(str(exc))


def application_error_to_domain(error: ApplicationError) -> DomainError:
    payload: dict[str, Any] = {"code": error.type, "message": error.message}
    if error.details and isinstance(error.details[0], dict):
        payload.update(error.details[0])
    return DomainError.from_payload(payload)


def domain_error_to_application(error: DomainError, *, non_retryable: bool = True) -> ApplicationError:
    """The inverse, used by activities and update validators (carries message, field and details)."""
    return ApplicationError(error.message, error.as_payload(), type=str(error.code), non_retryable=non_retryable)


# --- Thin typed helpers used by services -------------------------------------------------------------


def start_workflow(
    workflow: Any,
    arg: Any,
    *,
    workflow_id: str,
    task_queue: str,
    execution_timeout: timedelta | None = None,
) -> str:
    """Start a workflow, or attach to the running one with the same id (ids are deterministic)."""

    async def call(client: Client) -> str:
        handle = await client.start_workflow(
            workflow,
            arg,
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            execution_timeout=execution_timeout,
        )
        return handle.id

    return run(call)


def execute_update(workflow_id: str, update: Any, arg: Any = None, *, result_type: type | None = None) -> Any:
    async def call(client: Client) -> Any:
        handle: WorkflowHandle = client.get_workflow_handle(workflow_id)
        if arg is None:
            return await handle.execute_update(update, result_type=result_type)
        return await handle.execute_update(update, arg, result_type=result_type)

    return run(call)


@dataclass(frozen=True)
class UpdateAnswer:
    """An update's answer within a bounded wait: ``done`` with its ``result``, or accepted and still running."""

    done: bool
    result: Any = None


def update_within(
    workflow_id: str, update: str, arg: Any, *, seconds: float, result_type: type | None = None
) -> UpdateAnswer:
    """Send an update and wait for its result at most ``seconds`` (0: only until the workflow accepted it).

    A refusal (the validator's, or the handler's failure within the wait) raises its DomainError as usual. An
    update still running after ``seconds`` answers ``done=False`` and carries on in the workflow by itself: the
    caller answers 202 (API.md "Long-running actions") instead of holding a request open on a slow provider.
    """

    async def call(client: Client) -> UpdateAnswer:
        handle: WorkflowHandle = client.get_workflow_handle(workflow_id)
        running = await handle.start_update(
            update, arg, wait_for_stage=WorkflowUpdateStage.ACCEPTED, result_type=result_type
        )
        if seconds <= 0:
            return UpdateAnswer(done=False)
        # Not asyncio.wait_for: a cancelled result() raises the SDK's own timeout error instead of CancelledError.
        waiting = asyncio.ensure_future(running.result())
        done, _ = await asyncio.wait({waiting}, timeout=seconds)
        if waiting in done:
            return UpdateAnswer(done=True, result=waiting.result())  # a failed update raises here
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        return UpdateAnswer(done=False)

    return run(call, timeout=seconds + settings.TEMPORAL_RPC_TIMEOUT.total_seconds() * 3)


def update_with_start(
    update: Any,
    arg: Any,
    *,
    workflow: Any,
    workflow_arg: Any,
    workflow_id: str,
    task_queue: str,
    id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    running_likely: bool = False,
) -> Any:
    """Apply an update, starting the workflow first if it does not run yet (no create race).

    ``id_reuse_policy=REJECT_DUPLICATE`` keeps a finished workflow (a closed cart) from being started again.
    ``running_likely``: the workflow most likely runs already, so a plain update goes first (cheaper for the server
    and the client than update-with-start; issue #19) and update-with-start with the same arguments follows only when
    the server answers not-found (never started, or ended: ``id_reuse_policy`` then decides exactly as it would
    have). Both in one call on the bridge, so the fallback costs one more RPC, not one more thread hop.
    """

    async def call(client: Client) -> Any:
        if running_likely:
            try:
                return await client.get_workflow_handle(workflow_id).execute_update(update, arg)
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:
                    raise
        operation = WithStartWorkflowOperation(
            workflow,
            workflow_arg,
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=id_reuse_policy,
        )
        return await client.execute_update_with_start_workflow(update, arg, start_workflow_operation=operation)

    return run(call)


def query(workflow_id: str, query_fn: Any, arg: Any = None, *, result_type: type | None = None) -> Any:
    async def call(client: Client) -> Any:
        handle: WorkflowHandle = client.get_workflow_handle(workflow_id)
        if arg is None:
            return await handle.query(query_fn, result_type=result_type)
        return await handle.query(query_fn, arg, result_type=result_type)

    return run(call)


def signal(workflow_id: str, signal_fn: Any, arg: Any = None) -> None:
    async def call(client: Client) -> None:
        handle: WorkflowHandle = client.get_workflow_handle(workflow_id)
        if arg is None:
            await handle.signal(signal_fn)
        else:
            await handle.signal(signal_fn, arg)

    run(call)


# --- Schedules (maintenance runs: oms_project.retention) -------------------------------------------------


@dataclass(frozen=True)
class IntervalSchedule:
    """A workflow started every ``every``; a run still going at the next tick makes that tick skip (no overlap)."""

    schedule_id: str
    workflow: Any
    arg: Any
    workflow_id: str  # the server appends each run's time
    task_queue: str
    every: timedelta
    note: str = ""

    def build(self) -> Schedule:
        return Schedule(
            action=ScheduleActionStartWorkflow(
                self.workflow, self.arg, id=self.workflow_id, task_queue=self.task_queue
            ),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=self.every)]),
            # A missed tick (server or workers down) is not made up later: the next tick does the same work.
            policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(minutes=1)),
            state=ScheduleState(note=self.note),
        )


@dataclass(frozen=True)
class ScheduleView:
    every: list[timedelta]
    paused: bool
    # The runs it started, oldest first, as (workflow id, run id): two runs in the same second share the id.
    recent_runs: list[tuple[str, str]]
    running_workflow_ids: list[str]


def schedule_upsert(spec: IntervalSchedule) -> str:
    """Create the schedule, or replace its definition with ``spec`` (same id): idempotent, safe to race.
    Returns "created" or "updated"."""
    schedule = spec.build()

    async def call(client: Client) -> str:
        try:
            await client.create_schedule(spec.schedule_id, schedule)
            return "created"
        except ScheduleAlreadyRunningError:
            pass

        def replace(current: ScheduleUpdateInput) -> ScheduleUpdate:
            # Keep an operator's pause (``temporal schedule toggle``); everything else comes from the settings.
            schedule.state.paused = current.description.schedule.state.paused
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(spec.schedule_id).update(replace)
        return "updated"

    return run(call)


def schedule_delete(schedule_id: str) -> bool:
    """Delete the schedule; False when there was none."""

    async def call(client: Client) -> None:
        await client.get_schedule_handle(schedule_id).delete()

    try:
        run(call)
    except NotFound:
        return False
    return True


def schedule_trigger(schedule_id: str) -> None:
    """Start a run now (the overlap policy still applies)."""

    async def call(client: Client) -> None:
        await client.get_schedule_handle(schedule_id).trigger()

    run(call)


def schedule_describe(schedule_id: str) -> ScheduleView:
    """What the server holds for the schedule (raises NotFound when there is none)."""

    async def call(client: Client) -> ScheduleView:
        description = await client.get_schedule_handle(schedule_id).describe()
        info, schedule = description.info, description.schedule
        return ScheduleView(
            every=[interval.every for interval in schedule.spec.intervals],
            paused=schedule.state.paused,
            recent_runs=[
                (result.action.workflow_id, result.action.first_execution_run_id) for result in info.recent_actions
            ],
            running_workflow_ids=[action.workflow_id for action in info.running_actions],
        )

    return run(call)


def ping(timeout: float = 3.0) -> None:
    """Raise TemporalUnavailable unless the server answers (used by /readyz)."""

    async def call(client: Client) -> None:
        await client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=timedelta(seconds=timeout))

    try:
        run(call, timeout=timeout + 1)
    except TemporalUnavailable:
        raise
    except Exception as exc:
        raise TemporalUnavailable(f"Temporal at {temporal_address()} is not reachable: {exc}") from exc
