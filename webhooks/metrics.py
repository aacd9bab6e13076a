"""Prometheus: deliveries by status, read from the database at scrape time (failed ones need a human)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import DatabaseError
from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

NAME = "oms_webhook_deliveries"
HELP = "Webhook deliveries by status."


class WebhookDeliveryCollector(Collector):
    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Registration asks for the names: answer without touching the database (not ready at import time).
        yield GaugeMetricFamily(NAME, HELP, labels=["status"])

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from webhooks.models import WebhookDelivery

        try:
            rows = WebhookDelivery.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
            counts = dict(rows)
        except DatabaseError:
            return  # /readyz reports the database; /metrics keeps answering
        gauge = GaugeMetricFamily(NAME, HELP, labels=["status"])
        for status in WebhookDelivery.Status.values:
            gauge.add_metric([status], counts.get(status, 0))
        yield gauge


_collector = WebhookDeliveryCollector()


def register() -> None:
    with contextlib.suppress(ValueError):  # already registered in this process
        REGISTRY.register(_collector)
