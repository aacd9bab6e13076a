from __future__ import annotations

from rest_framework import serializers

from oms_project.api import ChoiceField
from orders.api.serializers import MoneyField
from reports.domain import DEFAULT_LIMIT, DEFAULT_METRIC, DEFAULT_WINDOW, MAX_LIMIT, Metric, Window


class TopProductsQuerySerializer(serializers.Serializer):
    metric = ChoiceField(choices=[m.value for m in Metric], default=DEFAULT_METRIC.value)
    window = ChoiceField(choices=[w.value for w in Window], default=DEFAULT_WINDOW.value)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)


class TopProductSerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="1 = best by the chosen metric, per currency.")
    sku = serializers.CharField()
    name = serializers.CharField()
    currency = serializers.CharField()
    gmv = MoneyField(help_text="Sum of line totals (before order-level discount, tax, shipping).")
    net_gmv = MoneyField(help_text="gmv less the goods value (unit price x units) of returned and refunded units.")
    orders = serializers.IntegerField(help_text="Orders containing the variant.")
    units = serializers.IntegerField()


class TopProductsReportSerializer(serializers.Serializer):
    metric = ChoiceField(choices=[m.value for m in Metric])
    window = ChoiceField(choices=[w.value for w in Window])
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    results = TopProductSerializer(many=True)
