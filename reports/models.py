from __future__ import annotations

from orders.models import OrderLine


class TopProduct(OrderLine):
    """No table: a proxy so the report has an admin page (and a view permission) of its own."""

    class Meta:
        proxy = True
        verbose_name = "top product"
        verbose_name_plural = "top products"
        default_permissions = ("view",)
