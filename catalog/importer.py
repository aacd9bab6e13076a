"""Catalog CSV import (``manage.py import_catalog``): parse and validate every row, then apply all in one transaction.

Format (docs/catalog.md): header ``sku,product,variant,price,currency,warehouse,on_hand``, one row per SKU and
warehouse, and optionally an ``image`` column: the path of a picture of the row's product (relative to the CSV
file's folder, or absolute), added to the product once. ``on_hand`` sets the level through a ledger entry of kind
``import`` (only the difference is written), so importing the same file twice writes nothing the second time.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from catalog.models import Product, StockLevel, StockMovement, Variant
from catalog.services import (
    MAX_ON_HAND,
    Change,
    image_problem,
    product_image_add,
    product_slug,
    product_upsert,
    sku_problem,
    stock_set_on_hand,
    variant_upsert,
    warehouse_code_is_valid,
    warehouse_get_or_create,
)
from oms_project import money
from oms_project.errors import DomainError

COLUMNS = ("sku", "product", "variant", "price", "currency", "warehouse", "on_hand")
OPTIONAL_COLUMNS = ("image",)
MAX_PRICE = Decimal("9999999999.99")  # the column holds 12 digits, 2 of them decimals
MAX_REPORTED_ERRORS = 100

Progress = Callable[[str], None]


@dataclass(frozen=True)
class CatalogRow:
    line: int
    sku: str
    product: str
    variant: str
    price: Decimal
    currency: str
    warehouse: str
    on_hand: int
    image: Path | None = None


@dataclass(frozen=True)
class RowError:
    line: int  # 0 for problems with the file as a whole
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class CatalogFileInvalid(Exception):
    """The file cannot be imported; ``errors`` lists every problem found (nothing was applied)."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class ImportSummary:
    rows: int = 0
    products: dict[str, int] = field(default_factory=lambda: {c.value: 0 for c in Change})
    variants: dict[str, int] = field(default_factory=lambda: {c.value: 0 for c in Change})
    warehouses_created: int = 0
    stock_changed: int = 0
    images_added: int = 0

    def lines(self) -> list[str]:
        p, v = self.products, self.variants
        return [
            f"rows: {self.rows}",
            f"products: {p['created']} created, {p['updated']} updated, {p['unchanged']} unchanged",
            f"variants: {v['created']} created, {v['updated']} updated, {v['unchanged']} unchanged",
            f"warehouses created: {self.warehouses_created}",
            f"stock levels changed: {self.stock_changed} (one ledger entry each)",
            f"images added: {self.images_added}",
        ]


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CatalogFileInvalid([RowError(line, "the file is not valid UTF-8 text (save it as CSV UTF-8)")]) from None


def _check_header(header: list[str]) -> None:
    names = [name.strip().lower() for name in header]
    missing = [c for c in COLUMNS if c not in names]
    unknown = [n for n in names if n not in COLUMNS + OPTIONAL_COLUMNS]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s) {', '.join(repr(u) for u in unknown)}")
    if duplicated:
        problems.append(f"repeated column(s) {', '.join(duplicated)}")
    if problems:
        raise CatalogFileInvalid([RowError(1, f"bad header: {'; '.join(problems)} (expected: {','.join(COLUMNS)})")])


def _parse_row(line: int, raw: dict[str, str], base_dir: Path) -> tuple[CatalogRow | None, list[str]]:
    problems: list[str] = []
    values = {name: (raw.get(name) or "").strip() for name in COLUMNS + OPTIONAL_COLUMNS}
    for name in COLUMNS:
        if not values[name]:
            problems.append(f"{name} is empty")

    sku = values["sku"]
    if sku and (why := sku_problem(sku)):
        problems.append(f"sku {sku!r}: {why}")
    for name in ("product", "variant"):
        if len(values[name]) > 200:
            problems.append(f"{name} is longer than 200 characters")

    currency = values["currency"].upper()
    if currency and not money.is_supported_currency(currency):
        problems.append(f"currency {values['currency']!r} is not supported (use one of {', '.join(money.MINOR_UNITS)})")

    price: Decimal | None = None
    if values["price"]:
        try:
            price = money.parse_amount(values["price"])
        except ValueError:
            problems.append(f"price {values['price']!r} is not a number")
        else:
            digits = money.MINOR_UNITS.get(currency, 2)
            if price < 0:
                problems.append(f"price {values['price']} is negative")
            elif price > MAX_PRICE:
                problems.append(f"price {values['price']} is too large")
            elif -price.as_tuple().exponent > digits:  # type: ignore[operator]
                problems.append(f"price {values['price']} has more than {digits} decimal(s)")

    warehouse = values["warehouse"]
    if warehouse and not warehouse_code_is_valid(warehouse):
        problems.append(f"warehouse {warehouse!r} must be a code of letters, digits, '-' or '_' (up to 32)")

    on_hand: int | None = None
    if values["on_hand"]:
        if re.fullmatch(r"[0-9]+", values["on_hand"]) and int(values["on_hand"]) <= MAX_ON_HAND:
            on_hand = int(values["on_hand"])
        else:
            problems.append(f"on_hand {values['on_hand']!r} must be a whole number from 0 to {MAX_ON_HAND}")

    image = base_dir / values["image"] if values["image"] else None  # an absolute path stays as it is

    if problems or price is None or on_hand is None:
        return None, problems
    return (
        CatalogRow(line, sku, values["product"], values["variant"], price, currency, warehouse.lower(), on_hand, image),
        [],
    )


def _check_images(rows: list[CatalogRow]) -> list[RowError]:
    """Each named picture is read and checked once (at the first row naming it): it must be a readable image."""
    errors: list[RowError] = []
    checked: set[Path] = set()
    for row in rows:
        if row.image is None or row.image in checked:
            continue
        checked.add(row.image)
        try:
            problem = image_problem(row.image.read_bytes())
        except OSError as exc:
            problem = f"cannot be read ({exc.strerror or exc})"
        if problem:
            errors.append(RowError(row.line, f"image {row.image.name!r}: {problem}"))
    return errors


def _cross_check(rows: list[CatalogRow]) -> list[RowError]:
    """Rows must agree with each other: one row per SKU and warehouse, one product/name/price per SKU."""
    errors: list[RowError] = []
    first_by_sku: dict[str, CatalogRow] = {}
    seen_pairs: dict[tuple[str, str], int] = {}
    product_by_slug: dict[str, CatalogRow] = {}
    for row in rows:
        pair = (row.sku, row.warehouse)
        if pair in seen_pairs:
            errors.append(
                RowError(row.line, f"sku {row.sku} at warehouse {row.warehouse} repeats line {seen_pairs[pair]}")
            )
        else:
            seen_pairs[pair] = row.line
        first = first_by_sku.setdefault(row.sku, row)
        for attr in ("product", "variant", "price", "currency"):
            if getattr(first, attr) != getattr(row, attr):
                errors.append(
                    RowError(
                        row.line,
                        f"sku {row.sku} has {attr} {getattr(row, attr)!s} here "
                        f"but {getattr(first, attr)!s} on line {first.line}",
                    )
                )
        other = product_by_slug.setdefault(product_slug(row.product), row)
        if other.product != row.product:
            errors.append(
                RowError(
                    row.line,
                    f"product {row.product!r} and {other.product!r} (line {other.line}) are too similar to tell apart",
                )
            )
    return errors


def catalog_rows_parse(
    data: bytes, *, base_dir: Path | None = None, progress: Progress | None = None, every: int = 1000
) -> list[CatalogRow]:
    """Every row of the file, validated; ``CatalogFileInvalid`` lists all problems (with line numbers).
    ``image`` paths are taken relative to ``base_dir`` (the CSV file's folder; the working directory if None)."""
    text = _decode(data)
    if not text.strip():
        raise CatalogFileInvalid([RowError(0, "the file is empty (expected a header line and rows)")])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[CatalogRow] = []
    errors: list[RowError] = []
    try:
        header = next(reader)
        _check_header(header)
        names = [name.strip().lower() for name in header]
        count = 0
        for fields in reader:
            line = reader.line_num
            if not any(value.strip() for value in fields):
                continue  # blank line
            if len(fields) != len(names):
                errors.append(RowError(line, f"expected {len(names)} fields, found {len(fields)}"))
                continue
            row, problems = _parse_row(line, dict(zip(names, fields, strict=True)), base_dir or Path())
            errors.extend(RowError(line, problem) for problem in problems)
            if row is not None:
                rows.append(row)
            count += 1
            if progress and count % every == 0:
                progress(f"validated {count} rows")
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, f"malformed CSV: {exc}"))
    if not rows and not errors:
        errors.append(RowError(0, "the file has a header but no rows"))
    errors.extend(_cross_check(rows))
    errors.extend(_check_images(rows))
    if errors:
        errors.sort(key=lambda e: e.line)
        raise CatalogFileInvalid(errors)
    return rows


def catalog_import(
    *,
    rows: list[CatalogRow],
    actor: str,
    reason: str,
    progress: Progress | None = None,
    every: int = 1000,
) -> ImportSummary:
    """Apply validated rows in one transaction; any refused row rolls back the whole file."""
    errors: list[RowError] = []
    with transaction.atomic():
        applier = _Applier(rows, actor=actor, reason=reason)
        for index, row in enumerate(rows, start=1):
            try:
                applier.apply(row)
            except DomainError as exc:  # e.g. on_hand below what orders already hold
                errors.append(RowError(row.line, exc.message))
                if len(errors) >= MAX_REPORTED_ERRORS:
                    break
            if progress and index % every == 0:
                progress(f"applied {index} of {len(rows)} rows")
        if errors:
            raise CatalogFileInvalid(errors)  # leaving the atomic block by an exception rolls everything back
    return applier.summary


class _Applier:
    """Calls the services row by row, skipping the calls a snapshot read up front shows would change nothing
    (a re-import of an unchanged file then costs a few queries, not several per row)."""

    def __init__(self, rows: list[CatalogRow], *, actor: str, reason: str) -> None:
        self.actor, self.reason = actor, reason
        self.summary = ImportSummary(rows=len(rows))
        self.products: dict[str, Product] = {}
        self.variants_done: set[str] = set()
        self.images_done: set[tuple[str, Path]] = set()
        self.warehouses_done: set[str] = set()
        skus = sorted({row.sku for row in rows})
        self.known_variants: dict[str, tuple[str, str, Decimal, str]] = {}
        self.known_levels: dict[tuple[str, str], int] = {}
        for chunk in (skus[i : i + 500] for i in range(0, len(skus), 500)):
            for v in Variant.objects.filter(sku__in=chunk).select_related("product"):
                self.known_variants[v.sku] = (v.product.slug, v.name, v.price, v.currency)
            levels = StockLevel.objects.filter(variant__sku__in=chunk).values_list(
                "variant__sku", "warehouse__code", "on_hand"
            )
            self.known_levels.update({(sku, code): on_hand for sku, code, on_hand in levels})

    def apply(self, row: CatalogRow) -> None:
        if row.product not in self.products:
            self.products[row.product], change = product_upsert(name=row.product)
            self.summary.products[change] += 1
        if row.sku not in self.variants_done:
            self._variant(row)
            self.variants_done.add(row.sku)
        if row.image is not None and (row.product, row.image) not in self.images_done:
            self.images_done.add((row.product, row.image))
            _, added = product_image_add(
                product=self.products[row.product],
                content=row.image.read_bytes(),
                alt_text=row.product,
                name=row.image.name,
            )
            self.summary.images_added += added
        if row.warehouse not in self.warehouses_done:
            _, created = warehouse_get_or_create(code=row.warehouse)
            self.warehouses_done.add(row.warehouse)
            self.summary.warehouses_created += int(created)
        if self.known_levels.get((row.sku, row.warehouse)) == row.on_hand:
            return
        movement = stock_set_on_hand(
            sku=row.sku,
            warehouse_code=row.warehouse,
            on_hand=row.on_hand,
            kind=StockMovement.Kind.IMPORT,
            reason=self.reason,
            actor=self.actor,
        )
        self.summary.stock_changed += movement is not None

    def _variant(self, row: CatalogRow) -> None:
        product = self.products[row.product]
        if self.known_variants.get(row.sku) == (product.slug, row.variant, row.price, row.currency):
            self.summary.variants[Change.UNCHANGED] += 1
            return
        _, change = variant_upsert(
            sku=row.sku, product=product, name=row.variant, price=row.price, currency=row.currency
        )
        self.summary.variants[change] += 1
