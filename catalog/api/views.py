"""Partner API: catalog reads (scope ``orders``)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.api.serializers import ProductSerializer, product_bodies
from catalog.models import Product
from catalog.selectors import sellable_products
from oms_project.api import CursorPagination, ErrorBodySerializer
from partners.permissions import HasOrdersScope


class ProductCursorPagination(CursorPagination):
    ordering = "id"


class ProductFilterSerializer(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    sku = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")


_ERRORS = {
    401: OpenApiResponse(ErrorBodySerializer, description="Missing or bad API key."),
    403: OpenApiResponse(ErrorBodySerializer, description="The key lacks the `orders` scope."),
}


class ProductListApi(generics.ListAPIView):
    permission_classes = [HasOrdersScope]
    serializer_class = ProductSerializer
    pagination_class = ProductCursorPagination

    @extend_schema(
        operation_id="products_list",
        summary="List sellable products",
        description="Active products with their active variants; `available` is sellable stock now.",
        parameters=[
            OpenApiParameter("search", str, description="Matches product name/description, variant SKU/name."),
            OpenApiParameter("sku", str, description="Only the product owning this exact SKU."),
        ],
        responses={
            200: ProductSerializer(many=True),
            400: OpenApiResponse(ErrorBodySerializer, description="Bad query."),
            **_ERRORS,
        },
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(product_bodies(page, request=request))

    def get_queryset(self) -> QuerySet[Product]:
        filters = ProductFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        # The body reads only these columns of a product (catalog/api/serializers.py ``product_bodies``).
        return sellable_products(**filters.validated_data).only("id", "name", "description")


class ProductDetailApi(generics.GenericAPIView):
    permission_classes = [HasOrdersScope]
    serializer_class = ProductSerializer

    @extend_schema(
        operation_id="products_retrieve",
        summary="One sellable product",
        parameters=[OpenApiParameter("product_id", int, OpenApiParameter.PATH, description="The product's id.")],
        responses={
            200: ProductSerializer,
            404: OpenApiResponse(ErrorBodySerializer, description="Unknown or inactive."),
            **_ERRORS,
        },
    )
    def get(self, request: Request, product_id: str) -> Response:
        is_id = product_id.isascii() and product_id.isdigit() and len(product_id) <= 18
        product = (
            sellable_products().filter(pk=int(product_id)).only("id", "name", "description").first() if is_id else None
        )
        if product is None:
            raise NotFound("No such product.")
        return Response(product_bodies([product], request=request)[0])
