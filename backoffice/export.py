"""CSV export of an order queryset, streamed in keyset-paginated chunks.

Memory and queries per chunk stay constant however many orders match: each chunk is two queries (orders, then
their lines), and no chunk ever holds more than ``chunk_size`` orders.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from orders.models import Order, OrderLine

CHUNK_SIZE = 2000

COLUMNS = [
    ("number", "number"),
    ("created_at", "created_at"),
    ("status", "status"),
    ("payment_status", "payment_status"),
    ("delivery_status", "delivery_status"),
    ("channel", "channel"),
    ("partner", "partner__name"),
    ("external_ref", "external_ref"),
    ("customer_email", "contact_email"),
    ("customer_name", "contact_name"),
    ("ship_country", "ship_country"),
    ("currency", "currency"),
    ("subtotal", "subtotal"),
    ("discount", "discount"),
    ("shipping", "shipping"),
    ("tax", "tax"),
    ("total", "total"),
    ("tracking_carrier", "tracking_carrier"),
    ("tracking_number", "tracking_number"),
]
HEADER = [name for name, _ in COLUMNS] + ["items"]


class _Echo:
    """A file-like object whose write returns the line, so csv.writer produces strings to stream."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # spreadsheet formula injection: customer-supplied text must stay text
    return value


def order_csv_rows(queryset: QuerySet[Order], *, chunk_size: int = CHUNK_SIZE) -> Iterator[list[Any]]:
    """Header, then one row per order, newest first (by id); lines are joined as ``SKU x qty``."""
    yield HEADER
    fields = [source for _, source in COLUMNS]
    base = queryset.order_by("-pk")
    last_pk: int | None = None
    while True:
        page = base if last_pk is None else base.filter(pk__lt=last_pk)
        rows = list(page.values("pk", *fields)[:chunk_size])
        if not rows:
            return
        items: dict[int, list[str]] = defaultdict(list)
        lines = OrderLine.objects.filter(order_id__in=[row["pk"] for row in rows]).order_by("order_id", "position")
        for order_id, sku, quantity in lines.values_list("order_id", "sku", "quantity"):
            items[order_id].append(f"{sku} x {quantity}")
        for row in rows:
            yield [_cell(row[source]) for source in fields] + ["; ".join(items[row["pk"]])]
        last_pk = rows[-1]["pk"]
        if len(rows) < chunk_size:
            return


def order_csv_response(queryset: QuerySet[Order], *, chunk_size: int = CHUNK_SIZE) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    stream = (writer.writerow(row) for row in order_csv_rows(queryset, chunk_size=chunk_size))
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.csv"'
    return response
