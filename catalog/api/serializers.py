"""Partner API shapes of the catalog (API.md "Catalog")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Product, ProductImage, Variant
from catalog.selectors import product_contents
from oms_project import money


@extend_schema_field({"type": "string", "format": "decimal", "example": "12.50"})
class MoneyAmountField(serializers.Field):
    """A decimal string with exactly the currency's minor digits (reads ``currency`` from the same object)."""

    def __init__(self, currency_attr: str = "currency", **kwargs: object) -> None:
        self.currency_attr = currency_attr
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def get_attribute(self, instance: object) -> object:
        return instance

    def to_representation(self, instance: object) -> str:
        return money.format_amount(getattr(instance, self.source), getattr(instance, self.currency_attr))


class VariantSerializer(serializers.ModelSerializer):
    price = MoneyAmountField()
    available = serializers.IntegerField(read_only=True, help_text="Sellable units now, over active warehouses.")

    class Meta:
        model = Variant
        fields = ["sku", "name", "price", "currency", "available"]
        read_only_fields = fields


def image_url(image: ProductImage, request: HttpRequest | None) -> str:
    """The picture's absolute URL when there is a request to take the host from (the API always has one)."""
    return request.build_absolute_uri(image.image.url) if request is not None else image.image.url


class ProductImageSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Absolute URL of the full-size picture (JPEG, PNG or WebP).")
    alt = serializers.CharField(source="alt_text", read_only=True, help_text="Text alternative for the picture.")

    class Meta:
        model = ProductImage
        fields = ["url", "alt"]
        read_only_fields = fields

    def get_url(self, image: ProductImage) -> str:
        return image_url(image, self.context.get("request"))


class ProductSerializer(serializers.ModelSerializer):
    images = ProductImageSerializer(
        many=True, read_only=True, source="ordered_images", help_text="Pictures in display order; the first is main."
    )
    variants = VariantSerializer(many=True, read_only=True, source="active_variants")

    class Meta:
        model = Product
        fields = ["id", "name", "description", "images", "variants"]
        read_only_fields = fields


def product_bodies(products: Iterable[Product], *, request: HttpRequest | None = None) -> list[dict[str, Any]]:
    """``ProductSerializer(product, context={"request": request}).data`` for each product, built without binding
    serializer fields per product and variant, from the product's id, name and description and two queries for
    the variants and pictures of all of them (``catalog.selectors.product_contents``); a test keeps the two equal
    byte for byte. ProductSerializer stays the documented shape (OpenAPI)."""
    products = list(products)
    contents = product_contents(product.id for product in products)
    return [
        {
            "id": product.id,
            "name": product.name,
            "description": product.description,
            "images": [
                {"url": image_url(image, request), "alt": image.alt_text} for image in contents.images[product.id]
            ],
            "variants": [
                {
                    "sku": variant.sku,
                    "name": variant.name,
                    "price": money.format_amount(variant.price, variant.currency),
                    "currency": variant.currency,
                    "available": int(variant.available),
                }
                for variant in contents.variants[product.id]
            ],
        }
        for product in products
    ]
