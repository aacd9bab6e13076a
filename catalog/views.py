"""Storefront catalog pages: the searchable, filterable product list and the product page."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from carts.domain import MAX_QUANTITY
from catalog.selectors import CATALOG_SORTS, product_categories, product_get, product_search

PAGE_SIZE = 12


class CatalogFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    category = forms.ChoiceField(label="Category", required=False)
    in_stock = forms.BooleanField(label="In stock only", required=False)
    min_price = forms.DecimalField(label="Min price", required=False, min_value=0, max_digits=12, decimal_places=2)
    max_price = forms.DecimalField(label="Max price", required=False, min_value=0, max_digits=12, decimal_places=2)
    sort = forms.ChoiceField(
        label="Sort by", required=False, choices=[(value, label) for value, (label, _) in CATALOG_SORTS.items()]
    )

    def __init__(self, *args: object, categories: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["category"].choices = [("", "All categories"), *((c, c) for c in categories)]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", "The maximum price must not be below the minimum.")
        return data


def _price(product: object) -> Decimal | None:
    try:
        return min(v.price for v in product.active_variants)  # type: ignore[attr-defined]
    except (ValueError, InvalidOperation):
        return None


def _hue(product: object) -> int:
    """A stable colour per product for the placeholder tile of a product without pictures."""
    return (product.pk * 67) % 360  # type: ignore[attr-defined]


def product_list(request: HttpRequest) -> HttpResponse:
    form = CatalogFilterForm(request.GET or None, categories=product_categories())
    filters: dict[str, object] = {}
    sort = ""
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "search": data["q"].strip(),
            "category": data["category"],
            "in_stock": data["in_stock"],
            "min_price": data["min_price"],
            "max_price": data["max_price"],
        }
        sort = data["sort"]
    products = product_search(**filters, sort=sort or next(iter(CATALOG_SORTS)))  # type: ignore[arg-type]
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    for product in page.object_list:
        product.currency = product.active_variants[0].currency if product.active_variants else ""
        product.available = sum(v.available for v in product.active_variants)
        product.hue = _hue(product)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "filtered": any(value not in ("", None, False) for value in filters.values()),
        "sorts": [(value, label) for value, (label, _) in CATALOG_SORTS.items()],
        "sort": sort,
    }
    return render(request, "catalog/product_list.html", context)


def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = product_get(product_id=pk)
    if product is None:
        raise Http404("No such product.")
    product.hue = _hue(product)
    variants = [{"variant": v, "available": v.available} for v in product.active_variants]
    context = {"product": product, "variants": variants, "max_quantity": MAX_QUANTITY, "from_price": _price(product)}
    return render(request, "catalog/product_detail.html", context)
