"""Order reads: always from the read model, never from Temporal."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet

from carts.models import Cart
from customers.models import Customer
from oms_project.errors import NotFound
from orders.models import Order, OrderEvent, OrderLine
from orders.numbers import order_number_for_cart
from partners.models import Partner


def _with_details(qs: QuerySet[Order]) -> QuerySet[Order]:
    return qs.prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("position")),
        Prefetch("events", queryset=OrderEvent.objects.order_by("id")),
    )


def order_get_for_partner(*, number: str, partner: Partner | None) -> Order:
    """The order if ``partner`` may see it (``None``: any order, for the fulfilment scope); else NotFound.
    The row only: ``orders.bodies.order_bodies`` reads the lines and events as plain rows."""
    qs = Order.objects.filter(number=number)
    if partner is not None:
        qs = qs.filter(partner=partner)
    order = qs.first()
    if order is None:
        raise NotFound(f"No order {number}.")
    return order


def order_list(
    *,
    partner: Partner | None,
    status: str | None = None,
    created_after: datetime | None = None,
    updated_after: datetime | None = None,
    external_ref: str | None = None,
) -> QuerySet[Order]:
    """Orders visible to ``partner`` (``None``: all), filtered; newest first. Rows only (see
    ``order_get_for_partner``)."""
    qs = Order.objects.all()
    if partner is not None:
        qs = qs.filter(partner=partner)
    if status:
        qs = qs.filter(status=status)
    if created_after:
        qs = qs.filter(created_at__gt=created_after)
    if updated_after:
        qs = qs.filter(updated_at__gt=updated_after)
    if external_ref:
        qs = qs.filter(external_ref=external_ref)
    return qs


def order_get_for_customer(*, number: str, customer: Customer) -> Order:
    """The customer's own order with lines and timeline; another customer's (or a guest's) is NotFound."""
    order = _with_details(Order.objects.filter(number=number, customer=customer)).first()
    if order is None:
        raise NotFound(f"No order {number}.")
    return order


def order_get_guest(*, number: str) -> Order:
    """A guest order (no owner), for the signed lookup link; any owned order is NotFound."""
    order = _with_details(Order.objects.filter(number=number, customer=None, partner=None)).first()
    if order is None:
        raise NotFound(f"No order {number}.")
    return order


def order_is_recorded(*, number: str) -> bool:
    return Order.objects.filter(number=number).exists()


def order_being_placed(*, number: str, customer: Customer | None, session_key: str, recent: int = 20) -> bool:
    """Whether ``number`` is the order of one of this visitor's recently checked-out carts (the customer's, or a
    guest's by session) that is not recorded yet: the cart's checkout starts it, and the order page then says it
    is being placed instead of 404. Anyone else (another visitor, a shared link) still gets 404 until then."""
    if order_is_recorded(number=number):
        return False
    if customer is not None:
        carts = Cart.objects.filter(customer=customer)
    elif session_key:
        carts = Cart.objects.filter(session_key=session_key, customer=None, partner=None)
    else:
        return False
    recent_ids = (
        carts.filter(status=Cart.Status.CHECKED_OUT).order_by("-updated_at").values_list("cart_id", flat=True)[:recent]
    )
    return any(order_number_for_cart(cart_id) == number for cart_id in recent_ids)


def order_list_for_customer(*, customer: Customer) -> QuerySet[Order]:
    """The customer's orders, newest first (lines prefetched for the history page)."""
    return Order.objects.filter(customer=customer).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("position"))
    )
