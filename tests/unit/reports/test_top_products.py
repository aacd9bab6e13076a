"""The top-products report on real order read-model rows: ranking, windows, counted statuses, currencies, API."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import Order, OrderLine
from partners.services import api_key_create
from reports import selectors
from reports.domain import Metric, Window
from returns.models import Return, ReturnLine

pytestmark = pytest.mark.django_db


def order(
    status: str, lines: list[tuple[str, int, str]], *, currency: str = "EUR", age: timedelta = timedelta(hours=1)
):  # type: ignore[no-untyped-def]
    created = timezone.now() - age
    total = sum(Decimal(price) * qty for _, qty, price in lines)
    placed = Order.objects.create(
        number=f"T{uuid.uuid4().hex[:10]}",
        channel="api",
        status=status,
        currency=currency,
        subtotal=total,
        total=total,
        contact_email="c@example.com",
        contact_name="C",
        ship_name="C",
        ship_line1="1 Road",
        ship_city="Town",
        ship_postal_code="1000",
        ship_country="NL",
        payment_method="card",
        created_at=created,
        updated_at=created,
    )
    for position, (sku, qty, price) in enumerate(lines, start=1):
        OrderLine.objects.create(
            order=placed,
            position=position,
            sku=sku,
            name=f"Variant {sku}",
            unit_price=Decimal(price),
            quantity=qty,
            line_total=Decimal(price) * qty,
        )
    return placed


@pytest.fixture
def sales() -> None:
    order("confirmed", [("MUG", 1, "30.00"), ("TEE", 5, "10.00")])
    order("shipped", [("TEE", 1, "10.00")])
    order("delivered", [("CAP", 2, "8.00")])
    order("delivered", [("CAP", 1, "8.00")])
    order("delivered", [("CAP", 1, "8.00")])
    order("cancelled", [("MUG", 10, "30.00")])  # undone: does not count
    order("failed", [("MUG", 10, "30.00")])
    order("created", [("MUG", 10, "30.00")])  # still in the saga
    order("confirmed", [("OLD", 100, "1.00")], age=timedelta(days=3))  # outside a day, inside a week


def ranking(metric: Metric, window: Window = Window.DAY, limit: int = 10) -> list[tuple[int, str, str, int, int]]:
    report = selectors.top_products(metric=metric, window=window, limit=limit)
    return [(r.rank, r.sku, str(r.gmv), r.orders, r.units) for r in report.results]


def test_ranks_by_each_metric_over_counted_orders_only(sales: None) -> None:
    assert ranking(Metric.GMV) == [(1, "TEE", "60.00", 2, 6), (2, "CAP", "32.00", 3, 4), (3, "MUG", "30.00", 1, 1)]
    assert [r[1] for r in ranking(Metric.ORDERS)] == ["CAP", "TEE", "MUG"]
    assert [r[1] for r in ranking(Metric.UNITS)] == ["TEE", "CAP", "MUG"]


def test_window_and_limit(sales: None) -> None:
    assert [r[1] for r in ranking(Metric.UNITS, Window.WEEK)] == ["OLD", "TEE", "CAP", "MUG"]
    assert [r[1] for r in ranking(Metric.GMV, Window.MONTH, limit=2)] == ["OLD", "TEE"]


def test_currencies_are_never_summed_together(sales: None) -> None:
    order("confirmed", [("TEE", 1, "900.00")], currency="USD")
    report = selectors.top_products(metric=Metric.GMV, window=Window.DAY, limit=10)
    rows = [(r.currency, r.rank, r.sku, str(r.gmv)) for r in report.results]
    assert rows == [
        ("EUR", 1, "TEE", "60.00"),
        ("EUR", 2, "CAP", "32.00"),
        ("EUR", 3, "MUG", "30.00"),
        ("USD", 1, "TEE", "900.00"),
    ]


def refunded_return(placed: Order, sku: str, received: int, status: str = "refunded") -> None:
    line = placed.lines.get(sku=sku)
    ret = Return.objects.create(
        id=f"R-{uuid.uuid4().hex[:10]}",
        order=placed,
        status=status,
        reason="damaged",
        currency=placed.currency,
        requested_by="test",
        created_at=timezone.now(),
        updated_at=timezone.now(),
    )
    ReturnLine.objects.create(ret=ret, order_line=line, sku=sku, quantity=received, received_quantity=received)


def test_net_gmv_takes_off_the_goods_value_of_refunded_returns_only() -> None:
    delivered = order("delivered", [("CAP", 3, "8.00"), ("TEE", 1, "10.00")])
    refunded_return(delivered, "CAP", 2)
    refunded_return(delivered, "TEE", 1, status="received")  # not refunded yet: still counts
    rows = {
        r.sku: (str(r.gmv), str(r.net_gmv))
        for r in selectors.top_products(metric=Metric.GMV, window=Window.DAY, limit=10).results
    }
    assert rows == {"CAP": ("24.00", "8.00"), "TEE": ("10.00", "10.00")}


def test_report_is_one_query(sales: None) -> None:
    with CaptureQueriesContext(connection) as queries:
        selectors.top_products(metric=Metric.GMV, window=Window.MONTH, limit=3)
    assert len(queries) == 1


def test_api_any_key_reads_it(sales: None) -> None:
    issued = api_key_create(partner_name=f"p-{uuid.uuid4().hex[:6]}", scopes=["fulfilment"])
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {issued.raw_key}")
    body = client.get("/api/v1/reports/top-products/?metric=orders&window=day&limit=2").json()
    assert (body["metric"], body["window"]) == ("orders", "day")
    assert body["results"][0] == {
        "rank": 1,
        "sku": "CAP",
        "name": "Variant CAP",
        "currency": "EUR",
        "gmv": "32.00",
        "net_gmv": "32.00",
        "orders": 3,
        "units": 4,
    }
    assert len(body["results"]) == 2
    assert Client().get("/api/v1/reports/top-products/").status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("metric=revenue", "metric"),
        ("window=year", "window"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
    ],
)
def test_api_bad_params_are_400(query: str, field: str) -> None:
    issued = api_key_create(partner_name=f"p-{uuid.uuid4().hex[:6]}", scopes=["orders"])
    response = Client(HTTP_AUTHORIZATION=f"Api-Key {issued.raw_key}").get(f"/api/v1/reports/top-products/?{query}")
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_admin_page_lists_the_report(sales: None) -> None:
    admin = Client()
    admin.force_login(User.objects.create_superuser("boss", "b@example.com", "pw"))
    response = admin.get("/admin/reports/topproduct/?metric=units&window=week&limit=5")
    assert response.status_code == 200
    assert [r.sku for r in response.context["report"].results] == ["OLD", "TEE", "CAP", "MUG"]
    assert b"Variant TEE" in response.content

    staff = User.objects.create_user("nobody", password="pw", is_staff=True)
    admin.force_login(staff)
    assert admin.get("/admin/reports/topproduct/").status_code == 403
