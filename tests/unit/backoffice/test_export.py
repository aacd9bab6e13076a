"""CSV export: streams, keeps the list's filters, and its queries grow with chunks, not with rows."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.export import HEADER, order_csv_response
from orders.models import Order
from tests.unit.backoffice.factories import bulk_orders

pytestmark = pytest.mark.django_db


def _read(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_export_streams_every_order_in_bounded_chunks() -> None:
    bulk_orders(3000, lines_per_order=2)
    queryset = Order.objects.all()
    response = order_csv_response(queryset, chunk_size=500)
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")

    chunks = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as first:
        assert next(chunks).decode().startswith("number,created_at,status")
        next(chunks)  # the first data row: only the first chunk has been read
    assert len(first) == 2  # one page of orders, one of their lines: nothing else is loaded yet

    with CaptureQueriesContext(connection) as rest:
        rows = sum(1 for _ in chunks)
    assert rows == 2999
    # two queries per further chunk whatever its size, plus the empty page that ends an exact multiple
    assert len(rest) == 2 * (3000 // 500 - 1) + 1
    for query in (*first.captured_queries, *rest.captured_queries):
        assert "LIMIT 500" in query["sql"] or "IN (" in query["sql"]


def test_export_row_content_and_formula_guard() -> None:
    orders = bulk_orders(2, lines_per_order=2)
    rows = _read(order_csv_response(Order.objects.all()))
    assert rows[0] == HEADER
    by_number = {row[0]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    first = by_number[orders[0].number]
    assert first["items"] == "SKU-1 x 1; SKU-2 x 1"
    assert first["total"] == "14.90" and first["partner"] == "Shop"
    assert first["customer_name"] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet


def test_export_button_keeps_the_current_filters() -> None:
    bulk_orders(12)
    client = Client()
    client.force_login(User.objects.create_superuser("boss", "b@example.com", "pw"))
    listing = client.get(reverse("admin:orders_order_changelist") + "?status__exact=failed&q=buyer")
    export_url = listing.context["export_url"]
    assert export_url == reverse("admin:orders_order_export") + "?status__exact=failed&q=buyer"
    rows = _read(client.get(export_url))
    assert {row[2] for row in rows[1:]} == {"failed"} and len(rows) == 1 + 2


def _peak_bytes_while_streaming(chunk_size: int) -> tuple[int, int]:
    import tracemalloc

    tracemalloc.start()
    try:
        rows = sum(1 for _ in order_csv_response(Order.objects.all(), chunk_size=chunk_size).streaming_content)
        return rows, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_export_memory_depends_on_the_chunk_not_on_the_row_count() -> None:
    bulk_orders(600, lines_per_order=1, prefix="A")
    rows_small, peak_small = _peak_bytes_while_streaming(200)
    bulk_orders(2400, lines_per_order=1, prefix="B")
    rows_large, peak_large = _peak_bytes_while_streaming(200)
    assert (rows_small, rows_large) == (601, 3001)
    assert peak_large < peak_small * 2  # five times the rows; all in one chunk would be about 4.4 times the peak
