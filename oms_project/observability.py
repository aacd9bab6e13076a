"""Log context: request id, order number, workflow id and activity type on every log record.

Context variables are set by ``RequestContextMiddleware`` (HTTP), by ``LogContextInterceptor`` (Temporal
activities) and by services that know an order (``bind(order_number=...)``). A log record factory stamps them onto
each record (falling back to the running activity's info; the formatters also read the ``temporal_workflow``
extra that ``workflow.logger`` adds), and ``JsonFormatter`` writes one JSON object per line. See docs/observability.md.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse
from temporalio import activity
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

FIELDS = ("request_id", "order_number", "workflow_id", "activity")
_vars: dict[str, contextvars.ContextVar[str | None]] = {
    name: contextvars.ContextVar(f"oms_log_{name}", default=None) for name in FIELDS
}
REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is echoed only when it is short and plain, so it cannot forge log lines or grow labels.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
ORDER_WORKFLOW_PREFIX = "order-"


def current() -> dict[str, str]:
    """The context fields that are set, e.g. ``{"request_id": "...", "order_number": "..."}``."""
    return {name: value for name, var in _vars.items() if (value := var.get()) is not None}


@contextlib.contextmanager
def bind(**fields: str | None) -> Iterator[None]:
    """Set context fields for the duration of the block (unknown names are an error)."""
    tokens = [(_vars[name], _vars[name].set(value)) for name, value in fields.items() if value is not None]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def clear(**_: Any) -> None:
    """Forget every field (connected to ``request_finished``, so a WSGI thread starts each request clean)."""
    for var in _vars.values():
        var.set(None)


request_finished.connect(clear, dispatch_uid="oms_observability_clear")


def order_number_from_workflow_id(workflow_id: str) -> str | None:
    return workflow_id[len(ORDER_WORKFLOW_PREFIX) :] if workflow_id.startswith(ORDER_WORKFLOW_PREFIX) else None


def _record_fields() -> dict[str, str | None]:
    fields: dict[str, str | None] = dict(current())
    if "activity" not in fields and activity.in_activity():
        info = activity.info()
        fields.setdefault("workflow_id", info.workflow_id)
        fields["activity"] = info.activity_type
    return fields


def fields_of(record: logging.LogRecord) -> dict[str, str]:
    """The context fields of a record, including the workflow id that ``workflow.logger`` passes as an extra."""
    fields = {name: value for name in FIELDS if (value := getattr(record, name, None))}
    workflow_extra = getattr(record, "temporal_workflow", None)
    if isinstance(workflow_extra, dict) and "workflow_id" not in fields:
        fields["workflow_id"] = workflow_extra.get("workflow_id", "")
    if "order_number" not in fields and (number := order_number_from_workflow_id(fields.get("workflow_id", ""))):
        fields["order_number"] = number
    return fields


_base_factory: Callable[..., logging.LogRecord] | None = None


def _record_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    assert _base_factory is not None
    record = _base_factory(*args, **kwargs)
    for name, value in _record_fields().items():
        setattr(record, name, value)
    return record


def install_record_factory() -> None:
    """Stamp the context onto every record at creation (so every handler, caplog included, sees the ids).

    Consequence: ``extra={"request_id": ...}`` and the other field names can no longer be passed to a logger.
    """
    global _base_factory
    if _base_factory is None:
        _base_factory = logging.getLogRecordFactory()
        logging.setLogRecordFactory(_record_factory)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the context fields that are set, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(fields_of(record))
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class PlainFormatter(logging.Formatter):
    """The classic line, plus ``key=value`` for each context field that is set."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = " ".join(f"{name}={value}" for name, value in fields_of(record).items())
        return f"{line} [{extras}]" if extras else line


def request_id_from(request: HttpRequest) -> str:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    return incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex


class RequestContextMiddleware:
    """Request id in and out (``X-Request-ID``), bound to the log context; request count and latency metrics."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from oms_project import metrics

        request_id = request_id_from(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        started = time.perf_counter()
        # Set, not bound: Django logs 4xx/5xx responses after the middleware returns; request_finished clears it.
        clear()
        _vars["request_id"].set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        metrics.observe_request(request, response, time.perf_counter() - started)
        return response


class LogContextInterceptor(Interceptor):
    """Worker interceptor: activity code logs with its workflow id, activity type and order number."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ActivityContext(next)


class _ActivityContext(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        # Sync activities run in a thread with a copy of this context (the SDK copies it), so the fields follow.
        with bind(
            workflow_id=info.workflow_id,
            activity=info.activity_type,
            order_number=order_number_from_workflow_id(info.workflow_id or ""),
        ):
            return await super().execute_activity(input)
