"""Catalog and stock. Stock levels change only through ``catalog.services`` (which write the ledger)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

currency_validator = RegexValidator(r"^[A-Z]{3}$", "Use an ISO 4217 code such as EUR.")


class Product(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=100, blank=True, db_index=True)
    is_active = models.BooleanField(default=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductImage(models.Model):
    """A picture of a product; the storefront shows them by ``position`` (the first is the product's card)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to="products/")
    alt_text = models.CharField(
        max_length=200,
        help_text="Describes the picture for customers who cannot see it (screen readers, slow connections).",
    )
    position = models.PositiveIntegerField(default=0, help_text="Lower numbers come first; the first is the card.")
    # SHA-256 of the file: adding the same picture to a product twice (a re-import, seed_demo) changes nothing.
    checksum = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "checksum"], condition=~Q(checksum=""), name="product_image_unique_checksum"
            )
        ]

    def __str__(self) -> str:
        return self.alt_text


class Variant(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(
        max_length=64,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", "Letters, digits, '.', '_' and '-'.")],
    )
    name = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, validators=[currency_validator])
    is_active = models.BooleanField(default=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product__name", "name"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="variant_price_not_negative")]

    def __str__(self) -> str:
        return f"{self.sku} ({self.name})"


class Warehouse(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    # Lower numbers are tried first when an order line picks a warehouse (see docs/stock.md).
    priority = models.PositiveIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "code"]

    def __str__(self) -> str:
        return self.code


class StockLevel(models.Model):
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.IntegerField(default=0)
    allocated = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["variant__sku", "warehouse__priority"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "warehouse"], name="stock_level_unique_variant_warehouse"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(allocated__gte=0), name="stock_allocated_not_negative"),
            models.CheckConstraint(condition=Q(allocated__lte=F("on_hand")), name="stock_allocated_within_on_hand"),
        ]

    def __str__(self) -> str:
        return f"{self.variant.sku}@{self.warehouse.code}"

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated


class StockMovement(models.Model):
    """Append-only ledger: every change of on_hand or allocated has exactly one row here."""

    class Kind(models.TextChoices):
        RECEIVE = "receive", "Received"
        CORRECT = "correct", "Correction"
        WRITE_OFF = "write_off", "Written off"
        IMPORT = "import", "Catalog import"
        RESERVE = "reserve", "Reserved for order"
        RELEASE = "release", "Reservation released"
        FULFIL = "fulfil", "Shipped"
        RESTOCK = "restock", "Returned to stock"

    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="movements")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    on_hand_delta = models.IntegerField(default=0)
    allocated_delta = models.IntegerField(default=0)
    reason = models.CharField(max_length=255, blank=True)
    reference = models.CharField(max_length=100, blank=True, db_index=True)  # e.g. an order number
    actor = models.CharField(max_length=150, blank=True)
    # Makes a repeated activity attempt a no-op: the second insert fails on this key.
    idempotency_key = models.CharField(max_length=255, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.variant_id}@{self.warehouse_id} {self.on_hand_delta:+}/{self.allocated_delta:+}"
