"""The top-products report, read from the order read model in one aggregate query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Max, OuterRef, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from oms_project.money import quantize
from orders.models import OrderLine
from reports.domain import COUNTED_STATUSES, WINDOW_LENGTH, Metric
from reports.domain import Window as ReportWindow
from returns.domain import ReturnStatus
from returns.models import ReturnLine

_ORDER_BY = {Metric.GMV: "gmv", Metric.ORDERS: "orders", Metric.UNITS: "units"}


@dataclass(frozen=True)
class TopProduct:
    rank: int
    sku: str
    name: str
    currency: str
    gmv: Decimal
    orders: int
    units: int
    net_gmv: Decimal = Decimal("0")  # gmv less the goods value of units returned and refunded


@dataclass(frozen=True)
class TopProductsReport:
    metric: Metric
    window: ReportWindow
    since: datetime
    until: datetime
    results: list[TopProduct]


def top_products(*, metric: Metric, window: ReportWindow, limit: int, now: datetime | None = None) -> TopProductsReport:
    """Variants ranked by ``metric`` over orders created in the window, across all channels.

    One row per (currency, sku): GMV is only summed within a currency, and the rank restarts per currency
    (a single-currency shop sees one ranking). Ties are broken by sku so ranks are stable.
    """
    until = now or timezone.now()
    since = until - WINDOW_LENGTH[window]
    key = _ORDER_BY[metric]
    money = DecimalField(max_digits=14, decimal_places=2)
    returned_units = Subquery(
        ReturnLine.objects.filter(order_line=OuterRef("pk"), ret__status=ReturnStatus.REFUNDED)
        .order_by()
        .values("order_line")
        .annotate(units=Sum("received_quantity"))
        .values("units")
    )
    rows = (
        OrderLine.objects.filter(
            order__status__in=COUNTED_STATUSES, order__created_at__gte=since, order__created_at__lt=until
        )
        .annotate(returned_value=ExpressionWrapper(Coalesce(returned_units, 0) * F("unit_price"), output_field=money))
        .values("sku", currency=F("order__currency"))
        .annotate(
            name_=Max("name"),
            gmv=Sum("line_total"),
            returned=Sum("returned_value", default=Value(Decimal("0"), output_field=money)),
            orders=Count("order_id", distinct=True),
            units=Sum("quantity"),
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("order__currency")],
                order_by=[F(key).desc(), F("sku").asc()],
            )
        )
        .filter(rank__lte=limit)
        .order_by("currency", "rank")
    )
    results = [
        TopProduct(
            rank=row["rank"],
            sku=row["sku"],
            name=row["name_"],
            currency=row["currency"],
            gmv=quantize(row["gmv"], row["currency"]),  # SQLite sums lose the scale
            orders=row["orders"],
            units=row["units"],
            net_gmv=quantize(row["gmv"] - row["returned"], row["currency"]),
        )
        for row in rows
    ]
    return TopProductsReport(metric=metric, window=window, since=since, until=until, results=results)
