"""Customer pages of the catalog: a product list and a product page with "add to cart" (storefront later)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from carts.domain import MAX_QUANTITY
from catalog.models import Product, Variant
from catalog.selectors import sellable_variants, variant_snapshots


def _products() -> QuerySet[Product]:
    variants = Variant.objects.filter(sellable_variants()).order_by("name")
    return (
        Product.objects.filter(is_active=True, variants__in=variants)
        .distinct()
        .prefetch_related(Prefetch("variants", queryset=variants, to_attr="sellable"))
    )


def product_list(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/product_list.html", {"products": _products()})


def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = _products().filter(pk=pk).first()
    if product is None:
        raise Http404("No such product.")
    snapshots = variant_snapshots(v.sku for v in product.sellable)
    variants = [{"variant": v, "available": snapshots[v.sku].available} for v in product.sellable]
    return render(
        request, "catalog/product_detail.html", {"product": product, "variants": variants, "max_quantity": MAX_QUANTITY}
    )
