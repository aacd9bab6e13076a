"""Partner API for reports (API.md, Reports). Any valid key may read them."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from oms_project.api import query_data
from orders.api.serializers import ErrorSerializer
from reports import selectors
from reports.api.serializers import TopProductsQuerySerializer, TopProductsReportSerializer
from reports.domain import Metric, Window


class TopProductsApi(APIView):
    @extend_schema(
        tags=["reports"],
        operation_id="reports_top_products",
        parameters=[TopProductsQuerySerializer],
        responses={
            200: TopProductsReportSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Bad metric, window or limit."),
            401: OpenApiResponse(ErrorSerializer, description="Missing or bad API key."),
        },
        description="Variants ranked by GMV, orders or units over confirmed, shipped and delivered orders of all "
        "channels created in the rolling window (day = 24 h, week = 7 days, month = 30 days).",
    )
    def get(self, request: Request) -> Response:
        query = TopProductsQuerySerializer(data=query_data(request))
        query.is_valid(raise_exception=True)
        report = selectors.top_products(
            metric=Metric(query.validated_data["metric"]),
            window=Window(query.validated_data["window"]),
            limit=query.validated_data["limit"],
        )
        return Response(TopProductsReportSerializer(report).data)
