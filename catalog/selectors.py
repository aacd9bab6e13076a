"""Read-only catalog queries shared by carts, orders and the API."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce

from catalog.models import StockLevel, Variant


@dataclass(frozen=True)
class VariantSnapshot:
    """What a cart or an order needs of a variant right now: server-side price and sellable stock."""

    sku: str
    name: str  # "<product> - <variant>"
    price: Decimal
    currency: str
    available: int
    is_active: bool


def available_by_sku(skus: Iterable[str]) -> dict[str, int]:
    """Sellable units (on hand minus allocated, over active warehouses) per SKU; missing SKUs are absent."""
    rows = (
        StockLevel.objects.filter(variant__sku__in=list(skus), warehouse__is_active=True)
        .values("variant__sku")
        .annotate(available=Coalesce(Sum(F("on_hand") - F("allocated")), 0))
    )
    return {row["variant__sku"]: max(int(row["available"]), 0) for row in rows}


def variant_snapshots(skus: Iterable[str]) -> dict[str, VariantSnapshot]:
    """One query for the variants and one for their stock; unknown SKUs are simply absent."""
    wanted = list(dict.fromkeys(skus))
    variants = Variant.objects.filter(sku__in=wanted).select_related("product")
    available = available_by_sku(wanted)
    return {
        v.sku: VariantSnapshot(
            sku=v.sku,
            name=f"{v.product.name} - {v.name}",
            price=v.price,
            currency=v.currency,
            available=available.get(v.sku, 0),
            is_active=v.is_active and v.product.is_active,
        )
        for v in variants
    }


def sellable_variants() -> Q:
    """Filter for variants a customer may buy (active variant of an active product)."""
    return Q(is_active=True, product__is_active=True)
