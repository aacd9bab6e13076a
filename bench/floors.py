"""Floors of the list benchmarks: the same 20 rows as the API's order and product lists, served with nothing else.

``GET /bench/floor/drf/orders/`` and ``/bench/floor/drf/products/``: a minimal DRF ``ListAPIView`` (a
``ModelSerializer`` of the row's own columns, no authentication, throttling, permissions, pagination or related
rows), the issue's "minimal DRF list of the same rows". ``/bench/floor/raw/...``: a plain Django view returning the
same rows' ``values()`` as JSON, the cheapest way Django can serve them. What the API costs above these is its
own work: the API key, the throttle, the nested lines, events, stock and pictures, the pagination's count.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Model, QuerySet
from django.http import HttpRequest, JsonResponse
from rest_framework import generics, serializers

from catalog.models import Product
from orders.models import Order

PAGE = 20


def newest(model: type[Model]) -> QuerySet:
    return model.objects.order_by("-pk")[:PAGE]


class OrderRow(serializers.ModelSerializer):
    class Meta:
        model = Order
        fields = "__all__"


class ProductRow(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = "__all__"


class MinimalList(generics.ListAPIView):
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []
    pagination_class = None


class OrderRowsFloor(MinimalList):
    serializer_class = OrderRow

    def get_queryset(self) -> QuerySet:
        return newest(Order)


class ProductRowsFloor(MinimalList):
    serializer_class = ProductRow

    def get_queryset(self) -> QuerySet:
        return newest(Product)


def raw_rows(model: type[Model]) -> Callable[[HttpRequest], JsonResponse]:
    def view(request: HttpRequest) -> JsonResponse:
        return JsonResponse({"results": list(newest(model).values())})

    return view
