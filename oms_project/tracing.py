"""OpenTelemetry tracing, off unless ``OTEL_ENABLED=true``: HTTP (Django) -> Temporal client -> workflow ->
activity -> database (psycopg), one trace.

``configure()`` runs in every process (web, workers, management commands) from ``OmsProjectConfig.ready``. The
Temporal side is ``temporalio.contrib.opentelemetry.TracingInterceptor`` on every client made by
``oms_project.temporal.connect`` (workers built from that client use it too); the sync-to-async bridge copies the
caller's context into the client loop so the workflow span is a child of the request span.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)
_lock = threading.Lock()
_configured_exporters: set[int] = set()


def enabled() -> bool:
    return bool(getattr(settings, "OTEL_ENABLED", False))


def _exporter_from_settings() -> Any:
    if settings.OTEL_EXPORTER == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.OTEL_EXPORTER_OTLP_ENDPOINT.rstrip("/")
        return OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces" if endpoint else None)
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    return ConsoleSpanExporter()


def configure(span_exporter: Any = None, *, batch: bool | None = None) -> None:
    """Install the tracer provider (once) and the instrumentation; add ``span_exporter`` (tests pass an
    in-memory one) or the exporter chosen by settings. Idempotent per exporter."""
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    with _lock:
        provider = trace.get_tracer_provider()
        if not isinstance(provider, TracerProvider):
            provider = TracerProvider(resource=Resource.create({"service.name": settings.OTEL_SERVICE_NAME}))
            trace.set_tracer_provider(provider)
        exporter = span_exporter or _exporter_from_settings()
        if id(exporter) not in _configured_exporters:
            use_batch = batch if batch is not None else span_exporter is None
            provider.add_span_processor(BatchSpanProcessor(exporter) if use_batch else SimpleSpanProcessor(exporter))
            _configured_exporters.add(id(exporter))
        _instrument()


def _instrument() -> None:
    from opentelemetry.instrumentation.django import DjangoInstrumentor

    if not DjangoInstrumentor().is_instrumented_by_opentelemetry:
        DjangoInstrumentor().instrument()
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

        if not PsycopgInstrumentor().is_instrumented_by_opentelemetry:
            # Django opens connections through psycopg.connect / the pool; instrumenting them gives DB spans.
            PsycopgInstrumentor().instrument(enable_commenter=False)
            # Only connections opened from now on carry spans: a pool opened before (tracing switched on in a
            # running process, as the tests do) is replaced; its connections in use close when handed back.
            for alias in connections:
                if connections[alias].settings_dict.get("OPTIONS", {}).get("pool"):
                    connections[alias].close_pool()


def temporal_interceptors() -> list[Any]:
    """Client (and so worker) interceptors: tracing when enabled."""
    if not enabled():
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor()]
