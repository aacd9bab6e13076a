"""Staff actions on orders: each one a form, a permission and one call of an orders service.

The services send the workflow update (the only way an order's status changes); the admin renders an
intermediate confirmation page with the form, then one message per order with the outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms

from backoffice import permissions
from backoffice.forms import CancelOrderForm
from orders import services
from orders.models import Order


@dataclass(frozen=True)
class OrderAction:
    name: str  # URL segment and admin action suffix
    verb: str  # button label
    description: str  # admin action description
    permission: str  # codename on orders.Order
    form: type[forms.Form]
    perform: Callable[[Order, dict[str, Any], str], str]  # (order, cleaned data, actor) -> outcome message

    @property
    def perm_label(self) -> str:
        return f"orders.{self.permission}"


def _cancel(order: Order, data: dict[str, Any], actor: str) -> str:
    result = services.order_cancel(number=order.number, reason=data["reason"], actor=actor)
    return f"{result.number} is {result.status} (payment {result.payment_status})."


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
        ),
    ]
}


def staff_actor(user: Any) -> str:
    return f"staff:{user.get_username()}"
