"""Request ids, log context, JSON logs, request metrics, /metrics with Temporal down, hot-endpoint query counts."""

from __future__ import annotations

import json
import logging
import re
import socket
import time
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils.timezone import now

from oms_project import metrics, observability, temporal
from oms_project.logging_config import logging_config
from orders import services
from orders.contracts import ApplyInput, EventInput
from orders.models import Order
from partners.models import Partner
from partners.services import api_key_create
from returns.models import Return
from tests.integration.orders.helpers import order_body, seed_sku
from tests.temporal_env import settings_override

pytestmark = pytest.mark.django_db  # /metrics reads webhook delivery counts; API requests look up keys


@pytest.fixture(autouse=True)
def _fresh_throttle() -> None:
    cache.clear()


def test_request_id_is_echoed_or_generated_and_unsafe_ids_are_replaced() -> None:
    client = Client()
    given = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert given["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", generated["X-Request-ID"])
    forged = client.get("/healthz", HTTP_X_REQUEST_ID='x" level=ERROR\nfake')
    assert re.fullmatch(r"[0-9a-f]{32}", forged["X-Request-ID"])
    assert observability.current() == {}  # request_finished cleared the thread's context


def test_logs_of_a_request_carry_its_request_id(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = Client().get("/api/v1/orders/", HTTP_X_REQUEST_ID="req-42")  # no key: 401, logged by Django
    assert response.status_code in (401, 403)
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and all(r.request_id == "req-42" for r in records)


def test_json_formatter_writes_one_object_with_the_context_fields() -> None:
    formatter = observability.JsonFormatter()
    logger = logging.getLogger("oms.test")
    with observability.bind(request_id="r1", workflow_id="order-ABC123", activity="order.record"):
        record = logger.makeRecord("oms.test", logging.INFO, __file__, 1, "recorded %s", ("x",), None)
    entry = json.loads(formatter.format(record))
    assert entry["message"] == "recorded x" and entry["level"] == "INFO" and entry["logger"] == "oms.test"
    assert (entry["request_id"], entry["workflow_id"], entry["activity"], entry["order_number"]) == (
        "r1",
        "order-ABC123",
        "order.record",
        "ABC123",
    )
    # workflow.logger passes the workflow's info as the ``temporal_workflow`` extra
    record = logger.makeRecord(
        "oms.test",
        logging.INFO,
        __file__,
        1,
        "in workflow",
        (),
        None,
        extra={"temporal_workflow": {"workflow_id": "order-XYZ"}},
    )
    entry = json.loads(formatter.format(record))
    assert entry["workflow_id"] == "order-XYZ" and entry["order_number"] == "XYZ" and "request_id" not in entry
    plain = observability.PlainFormatter().format(record)
    assert plain.endswith("[workflow_id=order-XYZ order_number=XYZ]")


def test_log_format_setting_selects_the_formatter() -> None:
    assert logging_config("json", "INFO")["handlers"]["console"]["formatter"] == "json"
    assert logging_config("plain", "INFO")["handlers"]["console"]["formatter"] == "plain"


def _sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_count_requests_by_route_template_and_status() -> None:
    client = Client()
    before = client.get("/metrics").content.decode()
    labels = {"method": "GET", "route": "/api/v1/orders/<str:number>/", "status": "401"}
    start = _sample(before, "oms_http_requests_total", **labels) or 0
    for number in ("A1", "B2", "C3"):  # three paths, one route label
        client.get(f"/api/v1/orders/{number}/")
    client.get("/no-such-page/")
    text = client.get("/metrics").content.decode()
    assert _sample(text, "oms_http_requests_total", **labels) == start + 3
    assert _sample(text, "oms_http_requests_total", route="unmatched", status="404") is not None
    assert _sample(text, "oms_http_request_duration_seconds_count", method="GET", route="/api/v1/orders/<str:number>/")
    assert "A1" not in text  # paths never become labels


def test_metrics_answer_quickly_when_temporal_is_down() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{sock.getsockname()[1]}"
    try:
        with settings_override(TEMPORAL_ADDRESS=dead, TEMPORAL_METRICS_TIMEOUT_SECONDS=0.5):
            temporal.bridge.reset()
            metrics.task_queue_collector.reset()
            started = time.monotonic()
            response = Client().get("/metrics")
            elapsed = time.monotonic() - started
            assert response.status_code == 200
            text = response.content.decode()
            assert "oms_temporal_up 0.0" in text and "oms_temporal_task_queue_backlog" not in text
            assert "oms_http_requests_total" in text
            assert elapsed < 3
            started = time.monotonic()
            Client().get("/metrics")  # the failure is cached: no second wait
            assert time.monotonic() - started < 0.4
    finally:
        temporal.bridge.reset()
        metrics.task_queue_collector.reset()


# --- Query counts of the hot read endpoints (product list: tests/unit/catalog/test_api.py) ------------------


def _orders(count: int) -> None:
    seed_sku("QA", 1000)
    seed_sku("QB", 1000)
    partner, _ = Partner.objects.get_or_create(name="shop")
    body = order_body("QA")
    for index in range(count):
        inp = services.order_prepare(
            partner=partner,
            channel="api",
            lines=[{"sku": "QA", "quantity": 1}, {"sku": "QB", "quantity": 2}],
            contact=body["customer"],
            shipping_address=body["shipping_address"],
            delivery=None,
            payment=body["payment"],
            idempotency_key=f"q{index}",
            actor="t",
        )
        services.order_record(inp=inp)
        _move(inp.number, "confirmed", payment_status="authorized")


def _move(number: str, status: str, **fields: Any) -> None:
    """One write of the order process: ``status`` with its event (and ``fields``)."""
    services.order_apply(
        inp=ApplyInput(
            number=number,
            idempotency_key=f"{number}:{status}",
            actor="t",
            at="2026-01-01T00:00:00+00:00",
            status=status,
            events=[EventInput(type=status, data={})],
            **fields,
        )
    )


def _client() -> Client:
    key = api_key_create(partner_name="shop", scopes=["orders"]).raw_key
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    client.get("/api/v1/orders/?page_size=1")  # the key's last_used_at write happens once a minute
    return client


def test_order_list_of_20_rows_uses_a_fixed_number_of_queries(django_assert_num_queries: Any) -> None:
    _orders(25)
    client = _client()
    # key, orders page, lines, events: confirmed orders cannot have shipments or returns (domain.MAY_HAVE_SHIPMENTS)
    with django_assert_num_queries(4):
        response = client.get("/api/v1/orders/?page_size=20")
    assert response.status_code == 200 and len(response.json()["results"]) == 20
    assert all(len(order["lines"]) == 2 for order in response.json()["results"])


def test_a_page_with_a_delivered_order_looks_up_its_shipments_and_returns(django_assert_num_queries: Any) -> None:
    _orders(3)
    delivered = Order.objects.order_by("pk").first()
    shipment = {"seq": 1, "lines": [{"sku": "QA", "quantity": 1}], "carrier": "DHL", "tracking_number": "T1"}
    _move(delivered.number, "shipped", shipment={**shipment, "amount_captured": "0"})
    _move(delivered.number, "delivered", shipment={"seq": 1, "delivery_status": "delivered"})
    Return.objects.create(
        id="R-Q1",
        order=delivered,
        reason="damaged",
        currency="EUR",
        requested_by="t",
        created_at=now(),
        updated_at=now(),
    )
    client = _client()
    with django_assert_num_queries(6):  # key, orders page, lines, events, shipments, returns
        response = client.get("/api/v1/orders/?page_size=20")
    bodies = {order["number"]: order for order in response.json()["results"]}
    assert [s["id"] for s in bodies[delivered.number]["shipments"]] == [1]
    assert bodies[delivered.number]["returns"] == ["R-Q1"]
    assert all(not o["shipments"] and not o["returns"] for n, o in bodies.items() if n != delivered.number)


def test_order_detail_uses_a_fixed_number_of_queries(django_assert_num_queries: Any) -> None:
    _orders(1)
    client = _client()
    number = client.get("/api/v1/orders/").json()["results"][0]["number"]
    with django_assert_num_queries(4):  # key, order, lines, events (confirmed: no shipments or returns)
        response = client.get(f"/api/v1/orders/{number}/")
    assert response.status_code == 200 and response.json()["status"] == "confirmed"


def test_production_profile_logs_json_lines() -> None:
    from tests.unit.oms_project.test_configuration import PAYLOAD_KEY, manage

    script = "import logging; logging.getLogger('oms.check').warning('hello %s', 'json')"
    result = manage(
        "shell",
        "-c",
        script,
        DJANGO_SETTINGS_MODULE="oms_project.settings_production",
        DJANGO_SECRET_KEY="x" * 60,
        DJANGO_ALLOWED_HOSTS="oms.example.com",
        TEMPORAL_PAYLOAD_KEYS=PAYLOAD_KEY,
        EMAIL_URL="smtp://mail.example.com:587",
    )
    lines = [line for line in result.stderr.splitlines() if "oms.check" in line]
    assert lines, result.stdout + result.stderr
    entry = json.loads(lines[-1])
    assert entry["message"] == "hello json" and entry["level"] == "WARNING"
