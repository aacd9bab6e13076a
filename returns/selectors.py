"""Return reads: always from the read model, never from Temporal."""

from __future__ import annotations

from django.db.models import QuerySet

from oms_project.errors import NotFound
from partners.models import Partner
from returns.models import Return


def return_get_for_partner(*, return_id: str, partner: Partner | None) -> Return:
    """The return if ``partner`` may see it (its order's partner; ``None``: any return); else NotFound (404)."""
    qs = Return.objects.select_related("order").filter(pk=return_id)
    if partner is not None:
        qs = qs.filter(order__partner=partner)
    ret = qs.first()
    if ret is None:
        raise NotFound(f"No return {return_id}.")
    return ret


def return_list(*, partner: Partner | None, status: str | None = None, order: str | None = None) -> QuerySet[Return]:
    """Returns of ``partner``'s orders (``None``: all), filtered; newest first."""
    qs = Return.objects.select_related("order")
    if partner is not None:
        qs = qs.filter(order__partner=partner)
    if status:
        qs = qs.filter(status=status)
    if order:
        qs = qs.filter(order__number=order)
    return qs.order_by("-created_at", "id")


def returns_of_order(*, order_id: int) -> QuerySet[Return]:
    return Return.objects.filter(order_id=order_id).order_by("created_at", "id")
