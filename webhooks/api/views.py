"""Partner API for webhooks (API.md, Webhooks). Scope ``orders``; a partner only ever sees its own endpoints."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from oms_project.api import CursorPagination
from orders.api.serializers import ErrorSerializer
from partners.permissions import HasOrdersScope
from webhooks import selectors, services
from webhooks.api.serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
)

TAGS = ["webhooks"]
AUTH_ERRORS = {
    401: OpenApiResponse(ErrorSerializer, description="Missing or bad API key."),
    403: OpenApiResponse(ErrorSerializer, description="The key lacks the `orders` scope."),
}
BAD_QUERY = {400: OpenApiResponse(ErrorSerializer, description="Bad `cursor` or `page_size`.")}
NOT_FOUND = {404: OpenApiResponse(ErrorSerializer, description="No such webhook for this partner.")}


class WebhookListCreateApi(APIView):
    permission_classes = [HasOrdersScope]
    pagination_class = CursorPagination  # also tells the schema generator that GET is paginated

    @extend_schema(
        tags=TAGS,
        operation_id="webhooks_list",
        responses={200: WebhookEndpointSerializer(many=True), **BAD_QUERY, **AUTH_ERRORS},
    )
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.webhook_endpoint_list(partner=request.user.partner), request, self)
        return paginator.get_paginated_response(WebhookEndpointSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="webhooks_create",
        request=WebhookEndpointInputSerializer,
        responses={
            201: WebhookEndpointCreatedSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="Bad `events` or `url` (`webhook_target_not_allowed`: not a public address).",
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="`webhook_endpoint_limit`: the partner already has the maximum number of endpoints "
                "(10 by default); delete one first.",
            ),
            **AUTH_ERRORS,
        },
        description="Register a target. The signing secret is returned once, in this response only. "
        "At most `WEBHOOK_MAX_ENDPOINTS_PER_PARTNER` (default 10) live endpoints per partner.",
    )
    def post(self, request: Request) -> Response:
        serializer = WebhookEndpointInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(partner=request.user.partner, **serializer.validated_data)
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookDeleteApi(APIView):
    permission_classes = [HasOrdersScope]

    @extend_schema(
        tags=TAGS,
        operation_id="webhooks_delete",
        responses={204: OpenApiResponse(description="Deleted"), **AUTH_ERRORS, **NOT_FOUND},
    )
    def delete(self, request: Request, endpoint_id: int) -> Response:
        endpoint = selectors.webhook_endpoint_get(partner=request.user.partner, endpoint_id=endpoint_id)
        services.webhook_endpoint_delete(endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveryListApi(APIView):
    permission_classes = [HasOrdersScope]
    pagination_class = CursorPagination

    @extend_schema(
        tags=TAGS,
        operation_id="webhooks_deliveries_list",
        responses={200: WebhookDeliverySerializer(many=True), **BAD_QUERY, **AUTH_ERRORS, **NOT_FOUND},
        description="Deliveries of this endpoint, newest first, each with every attempt.",
    )
    def get(self, request: Request, endpoint_id: int) -> Response:
        endpoint = selectors.webhook_endpoint_get(partner=request.user.partner, endpoint_id=endpoint_id)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.webhook_delivery_list(endpoint=endpoint), request, self)
        return paginator.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
