"""Partner cart API (API.md "Carts"): parse, find the partner's cart (404 for others'), call one service."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from carts import selectors, services
from carts.api.serializers import (
    CartItemAddSerializer,
    CartItemSetSerializer,
    CartSerializer,
    CartVoucherSerializer,
    ErrorSerializer,
    PricedCart,
    cart_json,
)
from carts.contracts import CartView
from partners.permissions import HasOrdersScope

_ERRORS = {
    400: OpenApiResponse(
        ErrorSerializer, description="Bad input: validation_error, unknown_sku, invalid_quantity, too_many_lines."
    ),
    401: OpenApiResponse(ErrorSerializer, description="Missing or bad API key."),
    403: OpenApiResponse(ErrorSerializer, description="The key lacks the orders scope."),
    404: OpenApiResponse(ErrorSerializer, description="No such cart for this partner."),
    409: OpenApiResponse(
        ErrorSerializer, description="insufficient_stock, cart_expired or cart_checked_out (the code says which)."
    ),
}


def _cart(view: CartView, code: int = status.HTTP_200_OK) -> Response:
    """The cart with its figures (the one pricing function, through ``cart_quote``)."""
    return Response(cart_json(PricedCart(view, services.cart_quote(view=view))), status=code)


class CartApiBase(APIView):
    permission_classes = [HasOrdersScope]

    def get_cart(self, request: Request, cart_id: str):  # type: ignore[no-untyped-def]
        return selectors.cart_get_for_partner(cart_id=cart_id, partner=request.user.partner)


class CartCreateApi(CartApiBase):
    @extend_schema(
        operation_id="carts_create",
        summary="Create a cart",
        request=None,
        responses={201: CartSerializer, **{k: v for k, v in _ERRORS.items() if k in (401, 403)}},
        tags=["carts"],
    )
    def post(self, request: Request) -> Response:
        return _cart(services.cart_create_for_partner(partner=request.user.partner), status.HTTP_201_CREATED)


class CartDetailApi(CartApiBase):
    @extend_schema(
        operation_id="carts_retrieve",
        summary="Get a cart",
        responses={200: CartSerializer, **{k: v for k, v in _ERRORS.items() if k != 400}},
        tags=["carts"],
    )
    def get(self, request: Request, cart_id: str) -> Response:
        return _cart(selectors.cart_view(cart=self.get_cart(request, cart_id)))


class CartItemsApi(CartApiBase):
    @extend_schema(
        operation_id="carts_items_add",
        summary="Add units of a SKU (merges into an existing line)",
        request=CartItemAddSerializer,
        responses={200: CartSerializer, **_ERRORS},
        tags=["carts"],
    )
    def post(self, request: Request, cart_id: str) -> Response:
        cart = self.get_cart(request, cart_id)
        data = CartItemAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _cart(services.cart_add_item(cart=cart, **data.validated_data))

    @extend_schema(
        operation_id="carts_items_reset",
        summary="Empty the cart",
        request=None,
        responses={200: CartSerializer, **{k: v for k, v in _ERRORS.items() if k != 400}},
        tags=["carts"],
    )
    def delete(self, request: Request, cart_id: str) -> Response:
        return _cart(services.cart_reset(cart=self.get_cart(request, cart_id)))


class CartItemApi(CartApiBase):
    @extend_schema(
        operation_id="carts_items_set",
        summary="Set the quantity of a line (0 removes it)",
        request=CartItemSetSerializer,
        responses={200: CartSerializer, **_ERRORS},
        tags=["carts"],
    )
    def patch(self, request: Request, cart_id: str, sku: str) -> Response:
        cart = self.get_cart(request, cart_id)
        data = CartItemSetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _cart(services.cart_set_quantity(cart=cart, sku=sku, quantity=data.validated_data["quantity"]))

    @extend_schema(
        operation_id="carts_items_remove",
        summary="Remove a line",
        request=None,
        responses={200: CartSerializer, **_ERRORS},
        tags=["carts"],
    )
    def delete(self, request: Request, cart_id: str, sku: str) -> Response:
        return _cart(services.cart_remove_item(cart=self.get_cart(request, cart_id), sku=sku))


class CartVoucherApi(CartApiBase):
    @extend_schema(
        operation_id="carts_voucher_apply",
        summary="Apply a voucher code (replaces any other)",
        request=CartVoucherSerializer,
        responses={
            200: CartSerializer,
            **_ERRORS,
            400: OpenApiResponse(
                ErrorSerializer,
                description="voucher_invalid: unknown, inactive, not yet valid or expired code, another currency, "
                "or a subtotal under its minimum (the message says which); validation_error.",
            ),
            409: OpenApiResponse(
                ErrorSerializer, description="voucher_exhausted (usage limit reached), cart_expired, cart_checked_out."
            ),
        },
        tags=["carts"],
    )
    def post(self, request: Request, cart_id: str) -> Response:
        cart = self.get_cart(request, cart_id)
        data = CartVoucherSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _cart(services.cart_apply_voucher(cart=cart, code=data.validated_data["code"]))

    @extend_schema(
        operation_id="carts_voucher_remove",
        summary="Remove the voucher",
        request=None,
        responses={200: CartSerializer, **{k: v for k, v in _ERRORS.items() if k != 400}},
        tags=["carts"],
    )
    def delete(self, request: Request, cart_id: str) -> Response:
        return _cart(services.cart_remove_voucher(cart=self.get_cart(request, cart_id)))
