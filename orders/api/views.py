"""Partner API for orders: parse, fetch via a selector (404 for others' orders), call one service, render."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from carts.selectors import cart_get_for_partner
from oms_project.api import CursorPagination, idempotent_response, query_data
from orders import selectors, services
from orders.api.serializers import (
    CancelInputSerializer,
    CheckoutInputSerializer,
    DeliveryEventInputSerializer,
    DeliveryPatchSerializer,
    ErrorSerializer,
    OrderCreateSerializer,
    OrderEditInputSerializer,
    OrderFilterSerializer,
    OrderSerializer,
    ShipInputSerializer,
    ShipmentCreateInputSerializer,
    ShipmentSerializer,
)
from orders.bodies import order_bodies, shipment_body
from orders.domain import Channel
from orders.models import Order
from partners.models import Partner
from partners.permissions import HasFulfilmentScope, HasOrdersOrFulfilmentScope, HasOrdersScope

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name="Idempotency-Key",
    type={"type": "string", "minLength": 1, "maxLength": 255},
    location=OpenApiParameter.HEADER,
    required=True,
    description=(
        "1-255 characters, unique per request you mean to make once. The same key with the same body within "
        "24 h replays the first response (same status and body); with a different body: 422; while the first "
        "request is still running: 409. Keys are scoped to your partner account."
    ),
)
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input (the `field` names it)."),
    401: OpenApiResponse(ErrorSerializer, description="Missing or bad API key."),
    403: OpenApiResponse(ErrorSerializer, description="The key lacks the scope."),
    404: OpenApiResponse(ErrorSerializer, description="No such order for this partner."),
}


def visible_to(request: Request) -> Partner | None:
    """The partner whose orders this key may read; ``None`` (all orders) for the fulfilment scope."""
    principal = request.user
    return None if "fulfilment" in principal.scopes else principal.partner


def actor_of(request: Request) -> str:
    return f"partner:{request.user.partner.name}"


# API.md "Long-running actions": done within the answer time 200, else 202 with the order as it stands.
ACTION_ANSWERS = {
    200: OrderSerializer,
    202: OpenApiResponse(
        OrderSerializer,
        description="Accepted and still running after a few seconds: the order as it stands, with `pending_action` "
        "naming what runs. It finishes by itself; the order and its webhooks tell the outcome.",
    ),
}


def action_response(answer: services.ActionAnswer) -> Response:
    body = order_bodies([answer.order])[0]
    if answer.pending_action:
        body["pending_action"] = answer.pending_action
        return Response(body, status=202)
    return Response(body)


def created_response(order: Order) -> Response:
    response = Response(order_bodies([order])[0], status=201)  # the row order_place just read
    response["Location"] = reverse("order-detail", kwargs={"number": order.number})
    return response


class OrderListCreateApi(GenericAPIView):
    pagination_class = CursorPagination
    serializer_class = OrderSerializer

    def get_permissions(self) -> list[BasePermission]:
        permission = HasOrdersScope if self.request.method == "POST" else HasOrdersOrFulfilmentScope
        return [permission()]

    @extend_schema(
        operation_id="orders_list",
        parameters=[OrderFilterSerializer],
        responses={200: OrderSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = OrderFilterSerializer(data=query_data(request))
        filters.is_valid(raise_exception=True)
        orders = selectors.order_list(partner=visible_to(request), **filters.validated_data)
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(order_bodies(page))

    @extend_schema(
        operation_id="orders_create",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=OrderCreateSerializer,
        responses={
            201: OrderSerializer,
            **ERRORS,
            409: OpenApiResponse(ErrorSerializer, description="The first request with this key is still running."),
            422: OpenApiResponse(ErrorSerializer, description="The key was used with a different body."),
        },
    )
    def post(self, request: Request) -> Response:
        def place(service_key: str) -> Response:
            serializer = OrderCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            order = services.order_place(
                partner=request.user.partner,
                channel=Channel.API,
                lines=[dict(line) for line in data["lines"]],
                contact=dict(data["customer"]),
                shipping_address=dict(data["shipping_address"]),
                delivery=dict(data["delivery"]) if data.get("delivery") else None,
                payment=dict(data["payment"]),
                external_ref=data.get("external_ref", ""),
                voucher_code=data.get("voucher_code", ""),
                idempotency_key=service_key,
                actor=actor_of(request),
            )
            return created_response(order)

        return idempotent_response(request, scope="orders.create", work=place)


class OrderDetailApi(APIView):
    permission_classes = [HasOrdersOrFulfilmentScope]

    @extend_schema(operation_id="orders_retrieve", responses={200: OrderSerializer, **ERRORS})
    def get(self, request: Request, number: str) -> Response:
        order = selectors.order_get_for_partner(number=number, partner=visible_to(request))
        return Response(order_bodies([order])[0])


class OrderCancelApi(APIView):
    permission_classes = [HasOrdersScope]

    @extend_schema(
        operation_id="orders_cancel",
        request=CancelInputSerializer,
        responses={
            **ACTION_ANSWERS,
            **ERRORS,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`not_cancellable`: the order has shipped, is shipping, failed or was delivered. "
                "A repeat while the cancel runs, or of a cancelled order, answers the order as it is.",
            ),
        },
    )
    def post(self, request: Request, number: str) -> Response:
        order = selectors.order_get_for_partner(number=number, partner=request.user.partner)
        serializer = CancelInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer = services.order_cancel(
            number=order.number, reason=serializer.validated_data["reason"], actor=actor_of(request)
        )
        return action_response(answer)


class OrderEditApi(APIView):
    """API.md "Order edits": the order's complete new lines, all or nothing."""

    permission_classes = [HasOrdersScope]

    @extend_schema(
        operation_id="orders_edit",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=OrderEditInputSerializer,
        responses={
            **ACTION_ANSWERS,
            **ERRORS,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`not_editable` (not confirmed or partially shipped, another action running, a line "
                "below what has shipped), `insufficient_stock`, `payment_declined` (the card declined the "
                "difference): nothing changed. Also `idempotency_request_in_flight`.",
            ),
            422: OpenApiResponse(ErrorSerializer, description="The key was used with a different body."),
        },
    )
    def post(self, request: Request, number: str) -> Response:
        order = selectors.order_get_for_partner(number=number, partner=request.user.partner)

        def edit(service_key: str) -> Response:
            serializer = OrderEditInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            answer = services.order_edit(
                number=order.number, lines=serializer.validated_data["lines"], actor=actor_of(request)
            )
            return action_response(answer)

        return idempotent_response(request, scope=f"orders.edit:{order.number}", work=edit)


class OrderShipApi(APIView):
    permission_classes = [HasFulfilmentScope]

    @extend_schema(
        operation_id="orders_ship",
        request=ShipInputSerializer,
        responses={
            **ACTION_ANSWERS,
            **ERRORS,
            409: OpenApiResponse(
                ErrorSerializer, description="`not_shippable`: only confirmed orders ship, and not while cancelling."
            ),
        },
    )
    def post(self, request: Request, number: str) -> Response:
        order = selectors.order_get_for_partner(number=number, partner=None)
        serializer = ShipInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer = services.order_ship(number=order.number, actor=actor_of(request), **serializer.validated_data)
        return action_response(answer)


class OrderShipmentCreateApi(APIView):
    """API.md "Shipments": one shipment of some lines (or of everything left)."""

    permission_classes = [HasFulfilmentScope]

    @extend_schema(
        operation_id="orders_shipments_create",
        request=ShipmentCreateInputSerializer,
        responses={
            201: ShipmentSerializer,
            202: OpenApiResponse(
                OrderSerializer,
                description="The shipment's capture is still running after a few seconds: the order as it stands, "
                "with `pending_action` `shipment`; the shipment is listed on the order once its capture is made.",
            ),
            **ERRORS,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`not_shippable`: the order is not confirmed or partially shipped, a shipment is "
                "running, a sku is not on the order, or more than remains to ship of a line (nothing shipped).",
            ),
        },
    )
    def post(self, request: Request, number: str) -> Response:
        order = selectors.order_get_for_partner(number=number, partner=None)
        serializer = ShipmentCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        before = order.shipments.count()
        answer = services.order_ship(number=order.number, actor=actor_of(request), **serializer.validated_data)
        shipment = answer.order.shipments.filter(seq__gt=before).order_by("seq").first()
        if answer.pending_action or shipment is None:
            return action_response(answer)
        return Response(shipment_body(shipment, currency=answer.order.currency), status=201)


class OrderShipmentDeliveryEventApi(APIView):
    permission_classes = [HasFulfilmentScope]

    @extend_schema(
        operation_id="orders_shipments_delivery_events",
        request=DeliveryEventInputSerializer,
        responses={
            **ACTION_ANSWERS,
            **ERRORS,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`delivery_event_not_allowed`: the order has ended otherwise or is being cancelled.",
            ),
        },
    )
    def post(self, request: Request, number: str, shipment: int) -> Response:
        order = selectors.order_get_for_partner(number=number, partner=None)
        serializer = DeliveryEventInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer = services.order_record_delivery_event(
            number=order.number, actor=actor_of(request), shipment=shipment, **serializer.validated_data
        )
        return action_response(answer)


class OrderDeliveryEventApi(APIView):
    permission_classes = [HasFulfilmentScope]

    @extend_schema(
        operation_id="orders_delivery_events",
        request=DeliveryEventInputSerializer,
        responses={
            **ACTION_ANSWERS,
            **ERRORS,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`delivery_event_not_allowed`: in_transit/delivered/not_delivered before shipment, "
                "or any event for an order that was cancelled or failed before shipment; `shipment_required`: "
                "the order has several shipments (post to `shipments/{id}/delivery-events/`).",
            ),
        },
    )
    def post(self, request: Request, number: str) -> Response:
        order = selectors.order_get_for_partner(number=number, partner=None)
        serializer = DeliveryEventInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer = services.order_record_delivery_event(
            number=order.number, actor=actor_of(request), **serializer.validated_data
        )
        return action_response(answer)


class OrderDeliveryApi(APIView):
    permission_classes = [HasOrdersScope]

    @extend_schema(
        operation_id="orders_delivery_update",
        request=DeliveryPatchSerializer,
        responses={
            **ACTION_ANSWERS,
            **ERRORS,
            409: OpenApiResponse(ErrorSerializer, description="`delivery_not_changeable`: shipped or ended."),
        },
    )
    def patch(self, request: Request, number: str) -> Response:
        order = selectors.order_get_for_partner(number=number, partner=request.user.partner)
        serializer = DeliveryPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer = services.order_change_delivery(
            number=order.number, actor=actor_of(request), **serializer.validated_data
        )
        return action_response(answer)


class CartCheckoutApi(APIView):
    """Lives in the orders app (the carts app owns carts/api/urls.py); it creates an order."""

    permission_classes = [HasOrdersScope]

    @extend_schema(
        operation_id="carts_checkout",
        tags=["carts"],
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=CheckoutInputSerializer,
        responses={
            201: OrderSerializer,
            **ERRORS,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`cart_checked_out`, `cart_empty`, `cart_expired`, or the first request with this key "
                "is still running.",
            ),
            422: OpenApiResponse(ErrorSerializer, description="The key was used with a different body."),
        },
    )
    def post(self, request: Request, cart_id: str) -> Response:
        cart = cart_get_for_partner(cart_id=cart_id, partner=request.user.partner)

        def checkout(service_key: str) -> Response:
            serializer = CheckoutInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            order = services.order_place_from_cart(
                cart_id=cart.cart_id,
                partner=request.user.partner,
                contact=dict(data["customer"]),
                shipping_address=dict(data["shipping_address"]),
                delivery=dict(data["delivery"]) if data.get("delivery") else None,
                payment=dict(data["payment"]),
                idempotency_key=service_key,
                actor=actor_of(request),
            )
            return created_response(order)

        return idempotent_response(request, scope=f"carts.checkout:{cart.cart_id}", work=checkout)
