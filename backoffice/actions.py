"""Staff actions on orders: each one a form, a permission and one call of an orders service.

The services send the workflow update (the only way an order's status changes); the admin renders an
intermediate confirmation page with the form, then one message per order with the outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils import timezone

from backoffice import permissions
from backoffice.forms import CancelOrderForm, CreateShipmentForm, DeliveryEventForm, EditLinesForm, ShipOrderForm
from orders import domain, services
from orders.domain import Status
from orders.errors import OrderNotEditable
from orders.models import Order


@dataclass(frozen=True)
class OrderAction:
    name: str  # URL segment and admin action suffix
    verb: str  # button label
    description: str  # admin action description
    permission: str  # codename on orders.Order
    form: type[forms.Form]
    # (order, cleaned data, actor, seconds to wait for the outcome: None the default, 0 until accepted) -> message
    perform: Callable[[Order, dict[str, Any], str, float | None], str]
    # Whether the order page offers it for this order now (the domain's rule, asked with the read model; nothing
    # while another action runs): no "Ship" on a delivered order. The action itself is refused by the same rule if
    # the order moved on meanwhile.
    offered: Callable[[Order], bool] = lambda order: True

    @property
    def perm_label(self) -> str:
        return f"orders.{self.permission}"


def _outcome(answer: services.ActionAnswer, done: str) -> str:
    """The message for one order: what happened, or that the action was accepted and runs on by itself."""
    order = answer.order
    if answer.pending_action:
        return (
            f"{order.number}: accepted; the {answer.pending_action} is running and finishes by itself "
            "(the order page shows the outcome)."
        )
    return f"{order.number}{done}"


def _cancel(order: Order, data: dict[str, Any], actor: str, wait_seconds: float | None) -> str:
    answer = services.order_cancel(number=order.number, reason=data["reason"], actor=actor, wait_seconds=wait_seconds)
    return _outcome(answer, f" is {answer.order.status} (payment {answer.order.payment_status}).")


def _ship(order: Order, data: dict[str, Any], actor: str, wait_seconds: float | None) -> str:
    answer = services.order_ship(
        number=order.number,
        carrier=data["carrier"],
        tracking_number=data["tracking_number"],
        actor=actor,
        wait_seconds=wait_seconds,
    )
    tracking = f"{data['carrier']} {data['tracking_number']}"
    return _outcome(answer, f" is {answer.order.status} (payment {answer.order.payment_status}, {tracking}).")


def _create_shipment(order: Order, data: dict[str, Any], actor: str, wait_seconds: float | None) -> str:
    lines = [{"sku": name[4:], "quantity": units} for name, units in data.items() if name.startswith("qty_") and units]
    answer = services.order_ship(
        number=order.number,
        carrier=data["carrier"],
        tracking_number=data["tracking_number"],
        actor=actor,
        lines=lines or None,
        wait_seconds=wait_seconds,
    )
    shipped = ", ".join(f"{line['quantity']} x {line['sku']}" for line in lines) or "everything left"
    return _outcome(
        answer, f" is {answer.order.status} (shipment of {shipped}; payment {answer.order.payment_status})."
    )


def _edit_lines(order: Order, data: dict[str, Any], actor: str, wait_seconds: float | None) -> str:
    lines = [{"sku": name[4:], "quantity": units or 0} for name, units in data.items() if name.startswith("qty_")]
    if not lines:  # several orders selected: the form had no lines, and an edit names the order's complete lines
        raise OrderNotEditable(f"Order {order.number}: edit the lines of one order at a time, from its page.")
    if data.get("add_sku") and data.get("add_quantity"):
        lines.append({"sku": data["add_sku"].strip(), "quantity": data["add_quantity"]})
    answer = services.order_edit(number=order.number, lines=lines, actor=actor, wait_seconds=wait_seconds)
    return _outcome(answer, f": items changed; total {answer.order.total} {answer.order.currency}.")


def _delivery_event(order: Order, data: dict[str, Any], actor: str, wait_seconds: float | None) -> str:
    # One event per order: the same form may be applied to several selected orders.
    answer = services.order_record_delivery_event(
        number=order.number,
        event_id=f"{data['event_id']}:{order.number}",
        status=data["status"],
        occurred_at=data["occurred_at"] or timezone.now(),
        actor=actor,
        wait_seconds=wait_seconds,
    )
    event = data["status"].replace("_", " ")
    result = answer.order
    return _outcome(answer, f": {event} recorded; order {result.status}, delivery {result.delivery_status}.")


ORDER_ACTIONS: dict[str, OrderAction] = {
    action.name: action
    for action in [
        OrderAction(
            name="cancel",
            verb="Cancel order",
            description="Cancel selected orders (runs the compensations)…",
            permission=permissions.CANCEL_ORDER,
            form=CancelOrderForm,
            perform=_cancel,
            offered=lambda order: (
                not order.pending_action
                and order.status != Status.CANCELLED
                and domain.cancel_refusal(order.status) is None
            ),
        ),
        OrderAction(
            name="ship",
            verb="Ship order",
            description="Confirm shipment with carrier and tracking (captures the payment)…",
            permission=permissions.SHIP_ORDER,
            form=ShipOrderForm,
            perform=_ship,
            offered=lambda order: not order.pending_action and domain.ship_refusal(order.status) is None,
        ),
        OrderAction(
            name="create_shipment",
            verb="Create shipment",
            description="Ship some lines and quantities (default: everything left; captures their share)…",
            permission=permissions.SHIP_ORDER,
            form=CreateShipmentForm,
            perform=_create_shipment,
            offered=lambda order: not order.pending_action and domain.ship_refusal(order.status) is None,
        ),
        OrderAction(
            name="edit_lines",
            verb="Edit lines",
            description="Change quantities, remove or add lines before dispatch (re-prices the order)…",
            permission=permissions.CANCEL_ORDER,
            form=EditLinesForm,
            perform=_edit_lines,
            offered=lambda order: domain.edit_refusal(order.status, order.pending_action) is None,
        ),
        OrderAction(
            name="delivery_event",
            verb="Record delivery event",
            description="Record a delivery event (accepted, in transit, delivered, not delivered)…",
            permission=permissions.RECORD_DELIVERY_EVENT,
            form=DeliveryEventForm,
            perform=_delivery_event,
            offered=lambda order: order.status in (Status.CONFIRMED, Status.PARTIALLY_SHIPPED, Status.SHIPPED),
        ),
    ]
}


def staff_actor(user: Any) -> str:
    return f"staff:{user.get_username()}"
