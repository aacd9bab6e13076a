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
from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest, JsonResponse
from rest_framework import generics, serializers

from catalog.models import Product, ProductImage, StockLevel, Variant
from orders.models import Order, OrderEvent, OrderLine

PAGE = 20


def newest(model: type[Model]) -> QuerySet:
    return model.objects.order_by("-pk")[:PAGE]


def rows_of(model: type[Model], **nested: Any) -> type[serializers.ModelSerializer]:
    """A ``ModelSerializer`` of every column of ``model``, with ``nested`` related rows (serializer instances)."""
    meta = type("Meta", (), {"model": model, "fields": "__all__"})
    return type(f"{model.__name__}Rows", (serializers.ModelSerializer,), {"Meta": meta, **nested})


def many(model: type[Model], **nested: Any) -> serializers.Serializer:
    return rows_of(model, **nested)(many=True, read_only=True)


def minimal_list(serializer: type[serializers.Serializer], model: type[Model], *related: str) -> Callable:
    """A DRF ``ListAPIView`` of the newest rows of ``model`` (with ``related`` prefetched) and nothing else: no
    authentication, permissions, throttling or pagination."""

    class MinimalList(generics.ListAPIView):
        authentication_classes: list = []
        permission_classes: list = []
        throttle_classes: list = []
        pagination_class = None
        serializer_class = serializer

        def get_queryset(self) -> QuerySet:
            return newest(model).prefetch_related(*related)

    return MinimalList.as_view()


ORDER_ROWS = minimal_list(rows_of(Order), Order)
PRODUCT_ROWS = minimal_list(rows_of(Product), Product)
ORDERS_WITH_ROWS = minimal_list(
    rows_of(Order, lines=many(OrderLine), events=many(OrderEvent)), Order, "lines", "events"
)
PRODUCTS_WITH_ROWS = minimal_list(
    rows_of(Product, variants=many(Variant, stock_levels=many(StockLevel)), images=many(ProductImage)),
    Product,
    "variants__stock_levels",
    "images",
)


def raw_rows(model: type[Model]) -> Callable[[HttpRequest], JsonResponse]:
    def view(request: HttpRequest) -> JsonResponse:
        return JsonResponse({"results": list(newest(model).values())})

    return view
