"""Timestamps at the edges: every path bounds them the same way (oms_project/timestamps.py), a stored order with
extreme but loadable values never breaks a list, and rows already stored out of range are repaired.

The incident: ``PATCH .../delivery/`` with ``period_end = 9999-12-31T23:59:59-14:00`` was stored by PostgreSQL as
year 10000; from then on every read of that row (the partner's list, the fulfilment list, the admin) answered 500.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.utils import DataError
from django.utils import timezone

from oms_project.timestamps import TimestampError, timestamp_parse
from orders import services
from orders.domain import delivery_period_problem, delivery_time_problem
from orders.models import Order
from partners.models import Partner
from tests.integration.orders.helpers import api_client, order_arguments, order_body, seed_sku

repair = importlib.import_module("orders.migrations.0003_repair_delivery_periods").repair_delivery_periods

OVERFLOWING = "9999-12-31T23:59:59-14:00"


@pytest.mark.parametrize(
    "value",
    [OVERFLOWING, "0001-01-01T00:00:00+14:00", "2100-01-01T00:00:00+00:00", "1999-12-31T23:59:59+00:00"],
)
def test_timestamps_outside_the_window_are_refused(value: str) -> None:
    with pytest.raises(TimestampError, match="from 2000-01-01"):
        timestamp_parse(value)


@pytest.mark.parametrize(
    "value", [5, True, [1], {}, None, "", "tomorrow", "2030-13-01T00:00:00+00:00", "2030-05-01T08:00"]
)
def test_malformed_or_naive_timestamps_are_refused(value: object) -> None:
    with pytest.raises(TimestampError, match="UTC offset"):
        timestamp_parse(value)


def test_a_delivery_time_is_in_the_future_and_within_a_year() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert delivery_time_problem(now + timedelta(days=365), now=now) is None
    assert "within one year" in delivery_time_problem(now + timedelta(days=366), now=now)
    assert "future" in delivery_time_problem(now, now=now)
    assert "end after" in delivery_period_problem(now, now)
    assert delivery_period_problem(None, now) is None


def _recorded_order(partner: Partner) -> str:
    seed_sku("EDGE-1", 5)
    body = order_body("EDGE-1")
    inp = services.order_prepare(
        partner=partner, channel="api", **order_arguments(body), idempotency_key="edge-1", actor="partner:edge"
    )
    services.order_record(inp=inp)
    return inp.number


def _reads(number: str, partner_client, admin_client) -> list[int]:
    fulfilment = api_client("carrier", scopes=("fulfilment",))
    return [
        partner_client.get("/api/v1/orders/").status_code,
        partner_client.get(f"/api/v1/orders/{number}/").status_code,
        fulfilment.get("/api/v1/orders/").status_code,
        admin_client.get("/admin/orders/order/").status_code,
        admin_client.get(f"/admin/orders/order/{Order.objects.get(number=number).pk}/change/").status_code,
    ]


@pytest.mark.django_db
@pytest.mark.postgres
def test_placing_refuses_a_period_beyond_a_year_naming_the_field() -> None:
    seed_sku("EDGE-2", 5)
    client = api_client("edge")
    soon = timezone.now() + timedelta(days=2)
    for index, (period, field) in enumerate(
        (
            ({"period_end": OVERFLOWING}, "delivery.period_end"),
            ({"period_start": (soon + timedelta(days=400)).isoformat()}, "delivery.period_start"),
            ({"period_start": 5}, "delivery.period_start"),
            ({"period_end": {}}, "delivery.period_end"),
            ({"period_start": soon.isoformat(), "period_end": soon.isoformat()}, "delivery.period_end"),
        )
    ):
        response = client.post(
            "/api/v1/orders/",
            order_body("EDGE-2", delivery=period),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"edge-{index}",
        )
        assert response.status_code == 400, (period, response.content)
        assert response.json()["field"] == field, (period, response.json())
    assert not Order.objects.exists()


@pytest.mark.django_db
@pytest.mark.postgres
def test_a_stored_order_with_extreme_but_loadable_values_never_breaks_a_read(admin_client) -> None:
    client = api_client("edge")
    number = _recorded_order(Partner.objects.get(name="edge"))
    Order.objects.filter(number=number).update(
        delivery_period_start=datetime(1, 1, 2, tzinfo=UTC), delivery_period_end=datetime(9999, 12, 30, tzinfo=UTC)
    )
    assert _reads(number, client, admin_client) == [200] * 5
    assert client.get(f"/api/v1/orders/{number}/").json()["delivery"]["period_end"].startswith("9999-12-30")


@pytest.mark.django_db
@pytest.mark.postgres
def test_rows_stored_out_of_range_are_repaired_and_the_timeline_says_so(admin_client) -> None:
    client = api_client("edge")
    number = _recorded_order(Partner.objects.get(name="edge"))
    with connection.cursor() as cursor:  # what the unbounded PATCH path stored
        cursor.execute(
            "UPDATE orders_order SET delivery_period_end = %s::timestamptz WHERE number = %s", [OVERFLOWING, number]
        )
    with pytest.raises(DataError):  # the broken row cannot be loaded: every list failed
        list(Order.objects.filter(number=number).values_list("delivery_period_end", flat=True))

    repair(None, connection.schema_editor())
    repair(None, connection.schema_editor())  # running it again changes nothing

    order = Order.objects.get(number=number)
    assert order.delivery_period_end is None
    repaired = [event for event in order.events.all() if event.type == "delivery_period_repaired"]
    assert len(repaired) == 1 and repaired[0].data["field"] == "delivery_period_end"
    assert repaired[0].data["stored"].startswith("10000-01-01")
    assert _reads(number, client, admin_client) == [200] * 5
