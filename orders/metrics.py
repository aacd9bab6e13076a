"""Prometheus: orders flagged by their SLA timer, per status, read from the read model at scrape time."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import DatabaseError
from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

NAME = "oms_orders_sla_breached"
HELP = "Orders sitting in a status longer than its SLA (ORDER_SLA_<STATUS>_HOURS), by status."
SLA_STATUSES = ("confirmed", "shipped")


class SlaBreachCollector(Collector):
    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(NAME, HELP, labels=["status"])  # no database at registration time

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from orders.models import Order

        try:
            rows = (
                Order.objects.exclude(sla_breached_status="")
                .values_list("sla_breached_status")
                .annotate(n=Count("pk"))
                .values_list("sla_breached_status", "n")
            )
            counts = dict(rows)
        except DatabaseError:
            return  # /readyz reports the database; /metrics keeps answering
        gauge = GaugeMetricFamily(NAME, HELP, labels=["status"])
        for status in SLA_STATUSES:
            gauge.add_metric([status], counts.get(status, 0))
        yield gauge


_collector = SlaBreachCollector()


def register() -> None:
    with contextlib.suppress(ValueError):  # already registered in this process
        REGISTRY.register(_collector)
