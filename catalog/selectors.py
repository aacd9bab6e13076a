"""Read-only catalog queries shared by carts, orders and the API."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, F, IntegerField, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from catalog.models import Product, ProductImage, StockLevel, Variant

# The storefront's sort orders: value -> (label, ordering); the first is the default.
CATALOG_SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("Name: A to Z", ("name", "pk")),
    "price": ("Price: low to high", ("from_price", "name", "pk")),
    "-price": ("Price: high to low", ("-from_price", "name", "pk")),
    "newest": ("Newest first", ("-created_at", "-pk")),
}


@dataclass(frozen=True)
class VariantSnapshot:
    """What a cart or an order needs of a variant right now: server-side price and sellable stock."""

    sku: str
    name: str  # "<product> - <variant>"
    price: Decimal
    currency: str
    available: int
    is_active: bool


def variant_snapshots(skus: Iterable[str], *, with_stock: bool = True) -> dict[str, VariantSnapshot]:
    """One query (variants with their product and, in a subquery, their stock) as plain rows; unknown SKUs are
    simply absent. ``with_stock=False`` leaves the stock out (``available`` is 0) for callers that only price,
    such as order placement, whose stock is reserved by the order workflow."""
    fields = ["sku", "name", "price", "currency", "is_active", "product__name", "product__is_active"]
    variants = Variant.objects.filter(sku__in=list(dict.fromkeys(skus)))
    if with_stock:
        variants = variants.annotate(available=variant_available_expression())
        fields.append("available")
    return {
        row["sku"]: VariantSnapshot(
            sku=row["sku"],
            name=f"{row['product__name']} - {row['name']}",
            price=row["price"],
            currency=row["currency"],
            available=max(int(row.get("available", 0)), 0),
            is_active=row["is_active"] and row["product__is_active"],
        )
        for row in variants.values(*fields)
    }


def sellable_variants() -> Q:
    """Filter for variants a customer may buy (active variant of an active product)."""
    return Q(is_active=True, product__is_active=True)


def variant_available_expression() -> Coalesce:
    """``available`` of the outer Variant row as a subquery (on hand minus allocated over active warehouses)."""
    # Grouped by the column itself (``variant_id``, no default ordering): grouping by ``variant`` made PostgreSQL
    # join catalog_variant again inside the subquery for every outer row.
    stock = (
        StockLevel.objects.filter(variant_id=OuterRef("pk"), warehouse__is_active=True)
        .order_by()
        .values("variant_id")
        .annotate(total=Sum(F("on_hand") - F("allocated")))
        .values("total")
    )
    return Coalesce(Subquery(stock, output_field=IntegerField()), 0)


def _variants_with_available() -> QuerySet[Variant]:
    """Active variants annotated with ``available`` in the same query."""
    return Variant.objects.filter(is_active=True).annotate(available=variant_available_expression()).order_by("id")


def product_list(*, search: str = "", sku: str = "") -> QuerySet[Product]:
    """Active products with at least one active variant, each with ``active_variants`` and ``images`` (in their
    order) prefetched (3 queries).

    ``search`` matches the product's name or description or an active variant's SKU or name (case-insensitive);
    ``sku`` keeps the product owning that exact active SKU.
    """
    return sellable_products(search=search, sku=sku).prefetch_related(
        Prefetch("variants", queryset=_variants_with_available(), to_attr="active_variants"),
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "id"), to_attr="ordered_images"),
    )


def sellable_products(*, search: str = "", sku: str = "") -> QuerySet[Product]:
    """``product_list`` without its prefetches (one query), for callers that read a page's variants and images
    with ``product_contents``."""
    active_variants = Variant.objects.filter(product=OuterRef("pk"), is_active=True)
    products = Product.objects.filter(is_active=True).filter(Exists(active_variants))
    if search:
        products = products.filter(
            Q(name__icontains=search)
            | Q(description__icontains=search)
            | Exists(active_variants.filter(Q(sku__icontains=search) | Q(name__icontains=search)))
        )
    if sku:
        products = products.filter(Exists(active_variants.filter(sku=sku)))
    return products


@dataclass(frozen=True)
class VariantRow:
    """What the product bodies show of an active variant."""

    sku: str
    name: str
    price: Decimal
    currency: str
    available: int


@dataclass(frozen=True)
class ProductContents:
    """The active variants (by id) and the pictures (in display order) of some products, by product id."""

    variants: dict[int, list[VariantRow]]
    images: dict[int, list[ProductImage]]


def product_contents(product_ids: Iterable[int]) -> ProductContents:
    """What ``product_list`` prefetches, for these products, in two queries and with the variants as plain rows
    (no model instances, no prefetch machinery): the product list reads a page of ids first."""
    ids = list(product_ids)
    variants: dict[int, list[VariantRow]] = defaultdict(list)
    rows = (
        Variant.objects.filter(product_id__in=ids, is_active=True)
        .annotate(available=variant_available_expression())
        .order_by("id")
        .values_list("product_id", "sku", "name", "price", "currency", "available")
    )
    for product_id, *fields in rows:
        variants[product_id].append(VariantRow(*fields))
    images: dict[int, list[ProductImage]] = defaultdict(list)
    for image in ProductImage.objects.filter(product_id__in=ids).order_by("position", "id"):
        images[image.product_id].append(image)
    return ProductContents(variants=variants, images=images)


def product_get(*, product_id: int) -> Product | None:
    """One product as ``product_list`` shows it, or None if it is unknown or not sellable."""
    return product_list().filter(pk=product_id).first()


def product_search(
    *,
    search: str = "",
    category: str = "",
    in_stock: bool = False,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    sort: str = "name",
) -> QuerySet[Product]:
    """The storefront catalog: ``product_list`` narrowed by category, a sellable variant in stock and a price
    range (a product matches when one active variant does), in a ``CATALOG_SORTS`` order (the price of a product
    is its cheapest active variant's, also given as ``from_price``)."""
    products = product_list(search=search)
    if category:
        products = products.filter(category=category)
    variants = Variant.objects.filter(product=OuterRef("pk"), is_active=True)
    if min_price is not None:
        variants = variants.filter(price__gte=min_price)
    if max_price is not None:
        variants = variants.filter(price__lte=max_price)
    if in_stock:
        variants = variants.annotate(available=variant_available_expression()).filter(available__gt=0)
    if in_stock or min_price is not None or max_price is not None:
        products = products.filter(Exists(variants))
    cheapest = Variant.objects.filter(product=OuterRef("pk"), is_active=True).values("product")
    products = products.annotate(from_price=Subquery(cheapest.annotate(low=Min("price")).values("low")))
    return products.order_by(*CATALOG_SORTS.get(sort, CATALOG_SORTS["name"])[1])


def sku_pictures(skus: Iterable[str]) -> dict[str, ProductImage]:
    """The first picture of each SKU's product, for showing lines (cart); SKUs whose product has none are absent.
    Two queries whatever the number of SKUs."""
    product_of = dict(Variant.objects.filter(sku__in=set(skus)).values_list("sku", "product_id"))
    first: dict[int, ProductImage] = {}
    images = ProductImage.objects.filter(product_id__in=set(product_of.values())).order_by(
        "product_id", "position", "id"
    )
    for image in images:
        first.setdefault(image.product_id, image)
    return {sku: first[product_id] for sku, product_id in product_of.items() if product_id in first}


def product_categories() -> list[str]:
    """Categories that have at least one sellable product, for the storefront filter."""
    return list(product_list().exclude(category="").order_by("category").values_list("category", flat=True).distinct())
