"""Order activities: sync, one service call each, idempotent (keys come from the workflow id)."""

from __future__ import annotations

from temporalio import activity

from oms_project.activities import orm_activity
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


ACTIVITIES = [order_record, order_apply, order_write, delivery_request, delivery_cancel]
