"""Observability with a real dev server, the project's real workers and PostgreSQL: log context across the web
request and the activities, task-queue gauges, the SDK's Prometheus metrics, and one trace from HTTP to the DB."""

from __future__ import annotations

import contextlib
import logging
import socket
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from django.test import Client
from temporalio.client import Client as TemporalClient

from oms_project import metrics, temporal, tracing
from oms_project.workers import sdk_metrics_runtime
from tests.integration.orders.helpers import api_client, order_body, post_order, seed_sku, wait_for
from tests.temporal_env import LoopThread, RunningWorkers, settings_override
from tests.unit.oms_project.test_observability import _sample

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def test_logs_carry_request_id_order_number_and_workflow_id(live_oms, caplog: pytest.LogCaptureFixture) -> None:
    seed_sku("LOG-1", on_hand=5)
    client = api_client()
    with caplog.at_level(logging.INFO):
        response = client.post(
            "/api/v1/orders/",
            order_body("LOG-1"),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="log-k1",
            HTTP_X_REQUEST_ID="req-log-1",
        )
        assert response.status_code == 201, response.content
        number = response.json()["number"]
        wait_for(number, {"confirmed"})
    assert response["X-Request-ID"] == "req-log-1"
    ours = [r for r in caplog.records if r.name == "orders.services"]
    started = [r for r in ours if r.getMessage().startswith("starting order workflow")]
    assert [(r.request_id, r.order_number, r.workflow_id) for r in started] == [
        ("req-log-1", number, f"order-{number}")
    ]
    # Written by the worker's activity threads: workflow id, activity type and order number come from the
    # worker interceptor, not from the web request.
    recorded = [r for r in ours if r.getMessage() == "order recorded"]
    assert [(r.workflow_id, r.activity, r.order_number) for r in recorded] == [
        (f"order-{number}", "order.record", number)
    ]
    applied = [r for r in ours if r.getMessage().startswith("order updated") and "status=confirmed" in r.getMessage()]
    assert applied and all(r.workflow_id == f"order-{number}" and r.activity for r in applied)


def test_metrics_report_task_queue_pollers_and_backlog(live_oms) -> None:
    metrics.task_queue_collector.reset()
    text = Client().get("/metrics").content.decode()
    assert "oms_temporal_up 1.0" in text
    for queue in ("cart", "order"):
        for kind in ("workflow", "activity"):
            assert (_sample(text, "oms_temporal_task_queue_pollers", queue=queue, type=kind) or 0) >= 1
            assert _sample(text, "oms_temporal_task_queue_backlog", queue=queue, type=kind) is not None


@contextlib.contextmanager
def own_workers(loop: LoopThread, client: TemporalClient) -> Iterator[None]:
    """The project's workers on ``client`` (its interceptors, its runtime), on fresh queues the web uses too."""
    suffix = uuid.uuid4().hex[:8]
    queues = {"cart": f"obs-cart-{suffix}", "order": f"obs-order-{suffix}", "webhook": f"obs-webhook-{suffix}"}
    overrides = {"CART_TASK_QUEUE": queues["cart"], "ORDER_TASK_QUEUE": queues["order"]}
    with settings_override(**overrides, WEBHOOK_TASK_QUEUE=queues["webhook"]):
        workers = RunningWorkers(loop, client, task_queues=queues)
        try:
            yield
        finally:
            workers.stop()


def test_worker_exports_sdk_metrics_in_prometheus_format(live_oms, temporal_server, temporal_loop) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{sock.getsockname()[1]}"

    async def connect() -> TemporalClient:
        return await temporal.connect(temporal_server, runtime=sdk_metrics_runtime(address))

    client = temporal_loop.run(connect())
    seed_sku("MET-1", on_hand=5)
    with own_workers(temporal_loop, client):
        response = post_order(api_client(), order_body("MET-1"), key="met-k1")
        assert response.status_code == 201, response.content
        wait_for(response.json()["number"], {"confirmed"})
        with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as scrape:
            text = scrape.read().decode()
    for name in (
        "temporal_workflow_task_execution_latency",
        "temporal_activity_execution_latency",
        "temporal_local_activity_execution_latency",
        "temporal_num_pollers",
        "temporal_worker_task_slots_available",
    ):
        assert name in text, name
    assert 'workflow_type="OrderProcess"' in text and "order.record" in text


def test_one_trace_spans_http_workflow_activities_and_database(live_oms, temporal_server, temporal_loop) -> None:
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    seed_sku("TRC-1", on_hand=5)
    key_client = api_client()  # before tracing: the setup's own queries are not part of the trace
    try:
        with settings_override(OTEL_ENABLED=True):
            tracing.configure(exporter, batch=False)
            temporal.bridge.reset()  # the web's client now carries the tracing interceptor
            client = temporal_loop.run(temporal.connect(temporal_server))
            with own_workers(temporal_loop, client):
                http = Client(HTTP_AUTHORIZATION=key_client.defaults["HTTP_AUTHORIZATION"])
                response = post_order(http, order_body("TRC-1"), key="trc-k1")
                assert response.status_code == 201, response.content
                number = response.json()["number"]
                wait_for(number, {"confirmed"})
    finally:
        DjangoInstrumentor().uninstrument()
        PsycopgInstrumentor().uninstrument()
        temporal.bridge.reset()

    spans = exporter.get_finished_spans()
    http_spans = [s for s in spans if s.kind.name == "SERVER" and s.attributes.get("http.method") == "POST"]
    assert len(http_spans) == 1, [s.name for s in spans]
    trace_id = http_spans[0].context.trace_id
    in_trace = [s for s in spans if s.context.trace_id == trace_id]
    names = {s.name for s in in_trace}
    assert {
        "POST api/v1/orders/",
        "StartUpdateWithStartWorkflow:OrderProcess",  # the web's client
        "RunWorkflow:OrderProcess",
        "HandleUpdate:recorded",
        "StartActivity:order.record",
        "RunActivity:order.record",
        "RunActivity:stock.reserve",
        "RunActivity:payment.authorize",
        "RunActivity:delivery.request",
        "RunActivity:order.write",
    } <= names, sorted(names)
    by_id = {s.context.span_id: s for s in in_trace}

    def ancestors(span):  # type: ignore[no-untyped-def]
        while span.parent is not None and span.parent.span_id in by_id:
            span = by_id[span.parent.span_id]
            yield span

    db_in_activities = [
        s
        for s in in_trace
        if s.attributes.get("db.system") == "postgresql"
        and any(a.name.startswith("RunActivity:") for a in ancestors(s))
    ]
    assert db_in_activities, names


def test_cart_add_and_get_use_a_fixed_number_of_queries_and_the_get_no_workflow(  # type: ignore[no-untyped-def]
    live_oms, temporal_loop, temporal_server, django_assert_num_queries
) -> None:
    seed_sku("CQ-1", on_hand=50)
    seed_sku("CQ-2", on_hand=50)
    client = api_client()
    suffix = uuid.uuid4().hex[:8]
    queues = {"cart": f"carts-cq-{suffix}", "order": f"orders-cq-{suffix}"}
    workers = RunningWorkers(temporal_loop, temporal_loop.run(temporal.connect(temporal_server)), task_queues=queues)
    try:
        with settings_override(CART_TASK_QUEUE=queues["cart"]):
            cart_id = client.post("/api/v1/carts/", {}, content_type="application/json").json()["id"]
            path = f"/api/v1/carts/{cart_id}/items/"
            added = client.post(path, {"sku": "CQ-1", "quantity": 2}, content_type="application/json")
            assert added.status_code == 200, added.content  # the key's last_used_at write happens once a minute
            with django_assert_num_queries(3):  # key, cart row, the row's read model (one UPDATE)
                added = client.post(path, {"sku": "CQ-2", "quantity": 2}, content_type="application/json")
            assert added.status_code == 200, added.content
            # No worker polls the cart's queue any more: a workflow query could not be answered.
            workers.stop()
            with django_assert_num_queries(2):  # key, cart row: the lines are the row's read model
                response = client.get(f"/api/v1/carts/{cart_id}/")
    finally:
        workers.stop()
    assert response.status_code == 200, response.content
    body = response.json()
    assert {line["sku"]: line["quantity"] for line in body["lines"]} == {"CQ-1": 2, "CQ-2": 2}
    assert body == added.json()  # what the add answered is what the next read shows
