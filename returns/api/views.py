"""Partner API for returns: parse, fetch via a selector (404 for others' returns), call one service, render."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from oms_project.api import CursorPagination, idempotent_response, query_data
from orders import selectors as order_selectors
from orders.api.serializers import ErrorSerializer
from orders.api.views import ERRORS, IDEMPOTENCY_KEY_PARAMETER, actor_of, visible_to
from partners.permissions import HasFulfilmentScope, HasOrdersOrFulfilmentScope, HasOrdersScope
from returns import selectors, services
from returns.api.serializers import (
    ReturnCreateSerializer,
    ReturnFilterSerializer,
    ReturnReceiveSerializer,
    ReturnRejectSerializer,
    ReturnSerializer,
)
from returns.bodies import return_bodies

STEP_REFUSED = OpenApiResponse(ErrorSerializer, description="`invalid_transition`: a step from the wrong status.")
ACTION_ANSWERS = {
    200: ReturnSerializer,
    202: OpenApiResponse(
        ReturnSerializer,
        description="Accepted and still running after a few seconds: the return as it stands, with `pending_action`.",
    ),
}


def action_response(answer: services.ReturnActionAnswer) -> Response:
    body = return_bodies([answer.ret])[0]
    if answer.pending_action:
        body["pending_action"] = answer.pending_action
        return Response(body, status=202)
    return Response(body)


class OrderReturnCreateApi(APIView):
    permission_classes = [HasOrdersScope]

    @extend_schema(
        operation_id="orders_returns_create",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=ReturnCreateSerializer,
        responses={
            201: ReturnSerializer,
            **ERRORS,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`not_returnable` (not delivered, or more than can still be returned), "
                "`return_window_closed` (more than RETURN_WINDOW_DAYS after delivery), or the key in flight.",
            ),
            422: OpenApiResponse(ErrorSerializer, description="The key was used with a different body."),
        },
    )
    def post(self, request: Request, number: str) -> Response:
        order = order_selectors.order_get_for_partner(number=number, partner=request.user.partner)

        def request_return(service_key: str) -> Response:
            serializer = ReturnCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            ret = services.return_request(
                order=order,
                lines=[dict(line) for line in data["lines"]],
                reason=data["reason"],
                note=data.get("note", ""),
                actor=actor_of(request),
                idempotency_key=f"{order.number}:{service_key}",
            )
            return Response(return_bodies([ret])[0], status=201)

        return idempotent_response(request, scope=f"returns.create:{order.number}", work=request_return)


class ReturnListApi(GenericAPIView):
    permission_classes = [HasOrdersOrFulfilmentScope]
    pagination_class = CursorPagination
    serializer_class = ReturnSerializer

    @extend_schema(
        operation_id="returns_list",
        parameters=[ReturnFilterSerializer],
        responses={200: ReturnSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = ReturnFilterSerializer(data=query_data(request))
        filters.is_valid(raise_exception=True)
        returns = selectors.return_list(partner=visible_to(request), **filters.validated_data)
        page = self.paginate_queryset(returns)
        return self.get_paginated_response(return_bodies(page))


class ReturnDetailApi(APIView):
    permission_classes = [HasOrdersOrFulfilmentScope]

    @extend_schema(operation_id="returns_retrieve", responses={200: ReturnSerializer, **ERRORS})
    def get(self, request: Request, return_id: str) -> Response:
        ret = selectors.return_get_for_partner(return_id=return_id, partner=visible_to(request))
        return Response(return_bodies([ret])[0])


class ReturnApproveApi(APIView):
    permission_classes = [HasFulfilmentScope]

    @extend_schema(
        operation_id="returns_approve", request=None, responses={**ACTION_ANSWERS, **ERRORS, 409: STEP_REFUSED}
    )
    def post(self, request: Request, return_id: str) -> Response:
        ret = selectors.return_get_for_partner(return_id=return_id, partner=None)
        return action_response(services.return_approve(ret=ret, actor=actor_of(request)))


class ReturnRejectApi(APIView):
    permission_classes = [HasFulfilmentScope]

    @extend_schema(
        operation_id="returns_reject",
        request=ReturnRejectSerializer,
        responses={**ACTION_ANSWERS, **ERRORS, 409: STEP_REFUSED},
    )
    def post(self, request: Request, return_id: str) -> Response:
        ret = selectors.return_get_for_partner(return_id=return_id, partner=None)
        serializer = ReturnRejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer = services.return_reject(ret=ret, reason=serializer.validated_data["reason"], actor=actor_of(request))
        return action_response(answer)


class ReturnReceiveApi(APIView):
    permission_classes = [HasFulfilmentScope]

    @extend_schema(
        operation_id="returns_receive",
        request=ReturnReceiveSerializer,
        responses={**ACTION_ANSWERS, **ERRORS, 409: STEP_REFUSED},
        description="Receive the parcel; the return then restocks (or writes off) and refunds at once (`refunded`).",
    )
    def post(self, request: Request, return_id: str) -> Response:
        ret = selectors.return_get_for_partner(return_id=return_id, partner=None)
        serializer = ReturnReceiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lines = [dict(line) for line in serializer.validated_data.get("lines") or []]
        return action_response(services.return_receive(ret=ret, lines=lines, actor=actor_of(request)))


class ReturnCancelApi(APIView):
    permission_classes = [HasOrdersScope]

    @extend_schema(
        operation_id="returns_cancel", request=None, responses={**ACTION_ANSWERS, **ERRORS, 409: STEP_REFUSED}
    )
    def post(self, request: Request, return_id: str) -> Response:
        ret = selectors.return_get_for_partner(return_id=return_id, partner=request.user.partner)
        return action_response(services.return_cancel(ret=ret, actor=actor_of(request)))
