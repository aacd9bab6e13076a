"""Floors of the list benchmarks: the same 20 rows as the API's order and product lists, served with nothing else.

``GET /bench/floor/drf/orders/`` and ``/bench/floor/drf/products/``: a minimal DRF ``ListAPIView`` (a
``ModelSerializer`` of the row's own columns, no authentication, throttling, permissions, pagination or related
rows), the issue's "minimal DRF list of the same rows". ``/bench/floor/raw/...``: a plain Django view returning the
same rows' ``values()`` as JSON, the cheapest way Django can serve them. ``/bench/floor/nested/...``: the minimal
DRF list of the same rows *with the related rows the API's bodies nest* (an order's lines and timeline; a product's
variants with their stock levels, and its pictures), by nested ``ModelSerializer``s over ``prefetch_related``: the
plain DRF way to serve the same data, without authentication or throttling. What the API costs above these is its
own work: the API key, the throttle, the body's shape and figures.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Model, QuerySet
from django.http import HttpRequest, JsonResponse
from rest_framework import generics, serializers

from catalog.models import Product, ProductImage, StockLevel, Variant
from orders.models import Order, OrderEvent, OrderLine

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


class LineRow(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = "__all__"


class EventRow(serializers.ModelSerializer):
    class Meta:
        model = OrderEvent
        fields = "__all__"


class OrderWithRows(serializers.ModelSerializer):
    lines = LineRow(many=True, read_only=True)
    events = EventRow(many=True, read_only=True)

    class Meta:
        model = Order
        fields = "__all__"


class StockRow(serializers.ModelSerializer):
    class Meta:
        model = StockLevel
        fields = "__all__"


class VariantWithStock(serializers.ModelSerializer):
    stock_levels = StockRow(many=True, read_only=True)

    class Meta:
        model = Variant
        fields = "__all__"


class ImageRow(serializers.ModelSerializer):
    class Meta:
        model = ProductImage
        fields = "__all__"


class ProductWithRows(serializers.ModelSerializer):
    variants = VariantWithStock(many=True, read_only=True)
    images = ImageRow(many=True, read_only=True)

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


class OrdersWithRowsFloor(MinimalList):
    serializer_class = OrderWithRows

    def get_queryset(self) -> QuerySet:
        return newest(Order).prefetch_related("lines", "events")


class ProductsWithRowsFloor(MinimalList):
    serializer_class = ProductWithRows

    def get_queryset(self) -> QuerySet:
        return newest(Product).prefetch_related("variants__stock_levels", "images")


def raw_rows(model: type[Model]) -> Callable[[HttpRequest], JsonResponse]:
    def view(request: HttpRequest) -> JsonResponse:
        return JsonResponse({"results": list(newest(model).values())})

    return view
