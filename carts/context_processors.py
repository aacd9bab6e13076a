"""The cart link's item count in the site header, on every page.

The count is what this browser last saw of its cart (any cart page or cart change stores it in the session), shown
only while that cart is still open: one indexed query per page, never a workflow query. A change made on another
device shows after the next visit to the cart page.
"""

from __future__ import annotations

from django.http import HttpRequest

from carts.contracts import CartView
from carts.models import Cart

SESSION_CART_COUNT_KEY = "cart_item_count"


def remember_cart_count(request: HttpRequest, view: CartView | None) -> None:
    """Store the count of the cart the visitor just saw (None: they have no cart)."""
    stored = [view.cart_id, view.item_count] if view is not None else None
    if request.session.get(SESSION_CART_COUNT_KEY) != stored:
        request.session[SESSION_CART_COUNT_KEY] = stored


def cart_item_count(request: HttpRequest) -> dict[str, int]:
    session = getattr(request, "session", None)
    stored = session.get(SESSION_CART_COUNT_KEY) if session is not None else None
    if not stored or not stored[1]:
        return {"cart_item_count": 0}
    cart_id, count = stored
    if not Cart.objects.filter(cart_id=cart_id, status=Cart.Status.OPEN).exists():
        return {"cart_item_count": 0}  # checked out, expired or merged since
    return {"cart_item_count": count}
