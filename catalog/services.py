"""Catalog writes: products, variants, warehouses and stock levels.

Every change of a stock level writes exactly one ``StockMovement`` in the same transaction, with the level's row
locked (``select_for_update``), so concurrent writers serialize on the row and the ledger always sums to the level.
The services refuse a level below ``allocated`` (or below zero) with ``StockBelowAllocated``; the database CHECK
constraints are the last line behind them. Reservations for orders live in ``catalog.stock``.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from typing import Any

import PIL.Image
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.text import slugify

from catalog.errors import StockBelowAllocated
from catalog.models import Product, ProductImage, StockLevel, StockMovement, Variant, Warehouse
from oms_project import money
from oms_project.errors import InvalidInput, NotFound

# Stock kinds a person may apply by hand (admin, scripts); the others belong to imports and order processing.
ADJUST_KINDS = (StockMovement.Kind.RECEIVE, StockMovement.Kind.CORRECT, StockMovement.Kind.WRITE_OFF)
MAX_ON_HAND = 1_000_000_000  # far below the 32-bit column limit; anything bigger is a typo


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def product_slug(name: str) -> str:
    """The product's identity for upserts: its slugified name (non-Latin names fall back to a stable hash)."""
    slug = slugify(name)[:180]
    if not slug:
        slug = "product-" + hashlib.sha256(name.strip().casefold().encode()).hexdigest()[:16]
    return slug


def _apply(obj: Any, values: dict[str, Any]) -> list[str]:
    changed = [field for field, value in values.items() if value is not None and getattr(obj, field) != value]
    for field in changed:
        setattr(obj, field, values[field])
    return changed


@transaction.atomic
def product_upsert(
    *,
    name: str,
    description: str | None = None,
    category: str | None = None,
    is_active: bool | None = None,
) -> tuple[Product, Change]:
    """Create or update the product named ``name`` (matched by slug). ``None`` leaves a field as it is."""
    name = name.strip()
    if not name:
        raise InvalidInput("A product name is required.", field="product")
    values = {"name": name, "description": description, "category": category, "is_active": is_active}
    product = Product.objects.select_for_update().filter(slug=product_slug(name)).first()
    if product is None:
        product = Product.objects.create(slug=product_slug(name), **{k: v for k, v in values.items() if v is not None})
        return product, Change.CREATED
    changed = _apply(product, values)
    if not changed:
        return product, Change.UNCHANGED
    product.save(update_fields=[*changed, "updated_at"])
    return product, Change.UPDATED


def _clean_variant(variant: Variant) -> None:
    try:
        variant.clean_fields(exclude=["product"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(f"{field}: {' '.join(messages)}", field=field) from exc


@transaction.atomic
def variant_upsert(
    *,
    sku: str,
    product: Product,
    name: str,
    price: Decimal,
    currency: str,
    is_active: bool | None = None,
) -> tuple[Variant, Change]:
    """Create or update the variant ``sku`` (moving it to ``product`` if it belonged to another one)."""
    if not money.is_supported_currency(currency):
        raise InvalidInput(f"Unsupported currency {currency!r}.", field="currency")
    if price < 0 or price != money.quantize(price, currency):
        raise InvalidInput(f"Price {price} is not a valid {currency} amount.", field="price")
    values = {"product": product, "name": name.strip(), "price": price, "currency": currency, "is_active": is_active}
    variant = Variant.objects.select_for_update().filter(sku=sku).first()
    if variant is None:
        variant = Variant(sku=sku, **{k: v for k, v in values.items() if v is not None})
        _clean_variant(variant)
        variant.save()
        return variant, Change.CREATED
    changed = _apply(variant, values)
    if not changed:
        return variant, Change.UNCHANGED
    _clean_variant(variant)
    variant.save(update_fields=[*changed, "updated_at"])
    return variant, Change.UPDATED


IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


def image_problem(content: bytes) -> str | None:
    """Why ``content`` cannot be a product image (not a picture Pillow reads, an unusual format, too large), or
    None. Checks the bytes, never the file name."""
    if len(content) > settings.PRODUCT_IMAGE_MAX_BYTES:
        return f"the image is larger than {settings.PRODUCT_IMAGE_MAX_BYTES // (1024 * 1024)} MB"
    try:
        with PIL.Image.open(io.BytesIO(content)) as picture:
            picture.verify()
            image_format, (width, height) = picture.format, picture.size
    except (PIL.UnidentifiedImageError, OSError, SyntaxError, ValueError, PIL.Image.DecompressionBombError):
        return "the file is not a readable image"
    if image_format not in IMAGE_FORMATS:
        return f"{image_format} images are not accepted (use {', '.join(IMAGE_FORMATS)})"
    if width * height > settings.PRODUCT_IMAGE_MAX_PIXELS:
        return f"the image has too many pixels ({width}x{height})"
    return None


def image_file_name(content: bytes, *, stem: str) -> str:
    """``<stem>-<checksum>.<format>``: the extension comes from what the bytes are (never from an uploaded name),
    so a picture is always served as the image type it is. ``content`` must have passed ``image_problem``."""
    with PIL.Image.open(io.BytesIO(content)) as picture:
        extension = IMAGE_FORMATS[picture.format]
    return f"{stem}-{hashlib.sha256(content).hexdigest()[:12]}.{extension}"


@transaction.atomic
def product_image_add(*, product: Product, content: bytes, alt_text: str, name: str = "") -> tuple[ProductImage, bool]:
    """Add a picture after the product's others; the same picture (same bytes) twice is one image, so re-running an
    import or the demo seed adds nothing. Returns the image and whether it was created."""
    if problem := image_problem(content):
        raise InvalidInput(f"{name or 'image'}: {problem}.", field="image")
    alt_text = alt_text.strip()[:200] or product.name
    checksum = hashlib.sha256(content).hexdigest()
    Product.objects.select_for_update().filter(pk=product.pk).first()  # one adder at a time per product
    existing = ProductImage.objects.filter(product=product, checksum=checksum).first()
    if existing is not None:
        return existing, False
    last = ProductImage.objects.filter(product=product).aggregate(last=Max("position"))["last"]
    image = ProductImage(product=product, alt_text=alt_text, checksum=checksum)
    image.position = 0 if last is None else last + 1
    image.image.save(image_file_name(content, stem=product.slug[:60]), ContentFile(content), save=False)
    image.save()
    return image, True


def sku_problem(sku: str) -> str | None:
    """Why ``sku`` is not a valid SKU (the model field's own validators), or None."""
    try:
        Variant._meta.get_field("sku").run_validators(sku)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return None


def warehouse_code_is_valid(code: str) -> bool:
    return 0 < len(code) <= 32 and slugify(code) == code.lower()


def warehouse_get_or_create(*, code: str, name: str = "", priority: int | None = None) -> tuple[Warehouse, bool]:
    """The warehouse ``code``, created with ``name``/``priority`` if missing (an existing one is left as it is)."""
    code = code.strip()
    if not warehouse_code_is_valid(code):
        raise InvalidInput(
            f"Warehouse code {code!r} must be a short slug (letters, digits, '-', '_').", field="warehouse"
        )
    defaults: dict[str, Any] = {"name": name or code}
    if priority is not None:
        defaults["priority"] = priority
    return Warehouse.objects.get_or_create(code=code, defaults=defaults)


def _locked_level(*, sku: str, warehouse_code: str) -> StockLevel:
    """The stock level row, created at 0/0 if missing, locked until the end of the transaction."""
    variant = Variant.objects.filter(sku=sku).first()
    if variant is None:
        raise NotFound(f"Unknown SKU {sku!r}.", field="sku")
    warehouse = Warehouse.objects.filter(code=warehouse_code).first()
    if warehouse is None:
        raise NotFound(f"Unknown warehouse {warehouse_code!r}.", field="warehouse")
    level, _ = StockLevel.objects.select_for_update().get_or_create(variant=variant, warehouse=warehouse)
    level.variant, level.warehouse = variant, warehouse  # already loaded: no extra queries for the ledger row
    return level


def _existing_movement(idempotency_key: str | None) -> StockMovement | None:
    if idempotency_key is None:
        return None
    return StockMovement.objects.filter(idempotency_key=idempotency_key).first()


def _record_on_hand_change(
    *,
    level: StockLevel,
    delta: int,
    kind: str,
    reason: str,
    actor: str,
    reference: str = "",
    idempotency_key: str | None = None,
) -> StockMovement:
    new_on_hand = level.on_hand + delta
    if new_on_hand < level.allocated or new_on_hand < 0:
        why = f"{level.allocated} unit(s) are allocated to orders" if level.allocated else "stock cannot be negative"
        raise StockBelowAllocated(
            f"{level.variant.sku} at {level.warehouse.code}: on hand would be {new_on_hand}, "
            f"but {why} (on hand now {level.on_hand}).",
            field="on_hand",
            details={"on_hand": level.on_hand, "allocated": level.allocated, "requested_delta": delta},
        )
    level.on_hand = new_on_hand
    level.save(update_fields=["on_hand", "updated_at"])
    return StockMovement.objects.create(
        variant=level.variant,
        warehouse=level.warehouse,
        kind=kind,
        on_hand_delta=delta,
        reason=reason[:255],
        reference=reference[:100],
        actor=actor[:150],
        idempotency_key=idempotency_key,
    )


def _idempotent(idempotency_key: str | None, write: Callable[[], StockMovement | None]) -> StockMovement | None:
    """Run ``write`` once per key: a repeated key returns the first movement (also under a concurrent race)."""
    existing = _existing_movement(idempotency_key)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return write()
    except IntegrityError:
        existing = _existing_movement(idempotency_key)
        if existing is None:
            raise
        return existing


def stock_set_on_hand(
    *,
    sku: str,
    warehouse_code: str,
    on_hand: int,
    kind: str,
    reason: str,
    actor: str,
    idempotency_key: str | None = None,
    reference: str = "",
) -> StockMovement | None:
    """Set on-hand to an absolute count (a stock take, an import): the ledger gets the delta.

    Returns the movement, or ``None`` when the level already had that count (nothing written).
    """
    if isinstance(on_hand, bool) or not isinstance(on_hand, int) or not 0 <= on_hand <= MAX_ON_HAND:
        raise InvalidInput(f"on_hand must be an integer from 0 to {MAX_ON_HAND}.", field="on_hand")
    if kind not in StockMovement.Kind.values:
        raise InvalidInput(f"Unknown stock movement kind {kind!r}.", field="kind")

    def write() -> StockMovement | None:
        level = _locked_level(sku=sku, warehouse_code=warehouse_code)
        if on_hand == level.on_hand:
            return None
        return _record_on_hand_change(
            level=level,
            delta=on_hand - level.on_hand,
            kind=kind,
            reason=reason,
            actor=actor,
            reference=reference,
            idempotency_key=idempotency_key,
        )

    with transaction.atomic():
        return _idempotent(idempotency_key, write)


def stock_adjust(
    *,
    sku: str,
    warehouse_code: str,
    kind: str,
    quantity: int,
    reason: str,
    actor: str,
    reference: str = "",
    idempotency_key: str | None = None,
) -> StockMovement:
    """A manual change of on-hand: ``receive`` adds, ``write_off`` removes, ``correct`` applies a signed delta."""
    if kind not in ADJUST_KINDS:
        raise InvalidInput(f"Kind must be one of {', '.join(ADJUST_KINDS)}.", field="kind")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or abs(quantity) > MAX_ON_HAND:
        raise InvalidInput("quantity must be an integer.", field="quantity")
    if kind == StockMovement.Kind.CORRECT:
        if quantity == 0:
            raise InvalidInput("A correction needs a non-zero quantity.", field="quantity")
        delta = quantity
    else:
        if quantity <= 0:
            raise InvalidInput(f"A {kind} needs a positive quantity.", field="quantity")
        delta = quantity if kind == StockMovement.Kind.RECEIVE else -quantity
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("A reason is required for a stock adjustment.", field="reason")

    def write() -> StockMovement:
        level = _locked_level(sku=sku, warehouse_code=warehouse_code)
        return _record_on_hand_change(
            level=level,
            delta=delta,
            kind=kind,
            reason=reason,
            actor=actor,
            reference=reference,
            idempotency_key=idempotency_key,
        )

    with transaction.atomic():
        movement = _idempotent(idempotency_key, write)
    assert movement is not None
    return movement
