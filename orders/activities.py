"""Order activities: sync, one service call each, idempotent (keys come from the workflow id)."""

from __future__ import annotations

from temporalio import activity

from carts.contracts import CART_PREPARE_ORDER, CART_START_ORDER, PrepareOrderInput
from oms_project.activities import orm_activity
from oms_project.errors import DomainError
from oms_project.temporal import domain_error_to_application
from orders import contracts, services
from orders.contracts import ApplyInput, DeliveryRequestInput, DeliveryRequestResult, PlaceOrderInput, WriteResult
from orders.delivery import DeliveryRequest, delivery_provider
from orders.models import Order


@activity.defn(name=contracts.ORDER_RECORD)
@orm_activity
def order_record(inp: PlaceOrderInput) -> WriteResult:
    return services.order_record(inp=inp)


@activity.defn(name=contracts.ORDER_APPLY)
@orm_activity
def order_apply(inp: ApplyInput) -> None:
    """OrderWorkflowV1's write (it also starts the webhook deliveries it recorded)."""
    services.order_apply(inp=inp)


@activity.defn(name=contracts.ORDER_WRITE)
@orm_activity
def order_write(inp: ApplyInput) -> WriteResult:
    """The order process's write; the workflow starts the webhook deliveries it returns."""
    return services.order_write(inp=inp)


@activity.defn(name=contracts.DELIVERY_REQUEST)
@orm_activity
def delivery_request(inp: DeliveryRequestInput) -> DeliveryRequestResult:
    order = Order.objects.get(number=inp.order_number)
    receipt = delivery_provider().request(
        DeliveryRequest(
            order_number=order.number,
            priority=order.delivery_priority,
            country=order.ship_country,
            postal_code=order.ship_postal_code,
        ),
        idempotency_key=inp.idempotency_key,
    )
    return DeliveryRequestResult(reference=receipt.reference, provider=receipt.provider)


@activity.defn(name=contracts.DELIVERY_CANCEL)
@orm_activity
def delivery_cancel(inp: DeliveryRequestInput) -> None:
    delivery_provider().cancel(inp.order_number, idempotency_key=inp.idempotency_key)


@activity.defn(name=CART_PREPARE_ORDER)
@orm_activity
def cart_prepare_order(inp: PrepareOrderInput) -> PlaceOrderInput:
    """The cart's checkout, before it closes the cart: price and check its order (a refusal keeps the cart)."""
    return services.order_prepare_for_cart(contents=inp.contents, request=inp.order)


@activity.defn(name=CART_START_ORDER)
@orm_activity
def cart_start_order(inp: PlaceOrderInput) -> None:
    """The cart's checkout, after it closed the cart: start the order. Nothing may stop it now, so every failure
    (a stalled server included) is retried (see ``CartWorkflow.checkout``)."""
    try:
        services.order_start(inp=inp)
    except DomainError as error:
        raise domain_error_to_application(error, non_retryable=False) from error


ACTIVITIES = [order_record, order_apply, order_write, delivery_request, delivery_cancel]
CART_ACTIVITIES = [cart_prepare_order, cart_start_order]
