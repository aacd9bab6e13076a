"""Cart reads. Ownership, status and contents come from the ``Cart`` row (the read model; see docs/carts.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from carts import domain
from carts.contracts import CartView, CartViewLine, cart_workflow_id
from carts.models import Cart
from oms_project import temporal
from oms_project.errors import NotFound
from oms_project.money import format_amount

_NOT_FOUND = "No cart with that id."


def _get(queryset: QuerySet[Cart], cart_id: str) -> Cart:
    cart = queryset.filter(cart_id=str(cart_id)).first()
    if cart is None:
        raise NotFound(_NOT_FOUND)
    return cart


def cart_get_for_partner(*, cart_id: str, partner: object) -> Cart:
    """The partner's own cart; another partner's cart is simply not found (404, never its data)."""
    return _get(Cart.objects.filter(partner=partner), cart_id)


def cart_get_for_customer(*, cart_id: str, customer: object) -> Cart:
    return _get(Cart.objects.filter(customer=customer), cart_id)


def cart_get_for_session(*, cart_id: str, session_key: str) -> Cart:
    """A guest cart; the session that created it is its only owner."""
    if not session_key:
        raise NotFound(_NOT_FOUND)
    return _get(Cart.objects.filter(customer=None, partner=None, session_key=session_key), cart_id)


def cart_open_for_customer(*, customer: object) -> Cart | None:
    return Cart.objects.filter(customer=customer, status=Cart.Status.OPEN).first()


def cart_view(*, cart: Cart) -> CartView:
    """The cart's contents as its latest mutation left them (the row's read model, no Temporal query). A closed
    cart answers with its error (409 cart_expired / cart_checked_out)."""
    domain.ensure_open(cart.status)
    if cart.view is not None:
        return view_from_json(cart.view)
    # A cart opened before the read model existed: its workflow has the lines until its next mutation records them.
    try:
        view: CartView = temporal.query(cart_workflow_id(cart.cart_id), "get", result_type=CartView)
    except NotFound:
        # The row is written before the first update starts the workflow; until then the cart is empty.
        return empty_view(cart)
    domain.ensure_open(view.status)  # closed a moment ago, the row not yet updated by the workflow
    return view


def view_from_json(data: dict[str, Any]) -> CartView:
    return CartView(**{**data, "lines": [CartViewLine(**line) for line in data["lines"]]})


def empty_view(cart: Cart) -> CartView:
    return CartView(
        cart_id=cart.cart_id,
        status=cart.status,
        currency=cart.currency,
        lines=[],
        item_count=0,
        subtotal=format_amount(Decimal(0), cart.currency),
        expires_at=cart.expires_at.isoformat() if cart.expires_at else "",
    )
