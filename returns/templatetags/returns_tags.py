"""The order page's returns section (an inclusion tag, so the orders app's pages need no returns code)."""

from __future__ import annotations

from typing import Any

from django import template

from orders.models import Order
from returns import services

register = template.Library()


@register.inclusion_tag("returns/_order_returns.html")
def order_returns(order: Order, page: str) -> dict[str, Any]:
    """``page``: the order page's URL (the return pages hang under it)."""
    returnable = services.order_return_window_open(order) and any(services.returnable_units(order).values())
    return {
        "order": order,
        "page": page,
        "returns": list(order.returns.order_by("created_at")),
        "returnable": returnable,
    }
