"""Pure cart rules: statuses, limits, line arithmetic. No Django, no Temporal: the workflow imports this.

Every function raises a ``carts.errors`` DomainError; the workflow turns it into an ApplicationError.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum

from carts.contracts import CartContents, CartLine, CartState, CartView, CartViewLine, PricedSku, StateLine
from carts.errors import (
    CartCheckedOut,
    CartEmpty,
    CartExpired,
    CartMerged,
    CurrencyMismatch,
    InvalidQuantity,
    TooManyLines,
    UnknownSku,
)
from oms_project.errors import DomainError, InsufficientStock, InvalidInput
from oms_project.money import format_amount, parse_amount

MIN_QUANTITY = 1
MAX_QUANTITY = 999
MAX_LINES = 100
MAX_SKU_LENGTH = 64
_SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class Status(StrEnum):
    OPEN = "open"
    CHECKED_OUT = "checked_out"
    EXPIRED = "expired"
    MERGED = "merged"


CLOSED_ERRORS: dict[str, type[DomainError]] = {
    Status.CHECKED_OUT: CartCheckedOut,
    Status.EXPIRED: CartExpired,
    Status.MERGED: CartMerged,
}


def ensure_open(status: str) -> None:
    if status != Status.OPEN:
        raise CLOSED_ERRORS.get(status, CartCheckedOut)()


def check_sku(sku: object) -> str:
    if not isinstance(sku, str) or not sku or len(sku) > MAX_SKU_LENGTH or not _SKU_RE.match(sku):
        raise UnknownSku(f"There is no product with the SKU {sku!r}.", field="sku")
    return sku


def check_quantity(quantity: object, *, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else MIN_QUANTITY
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not low <= quantity <= MAX_QUANTITY:
        raise InvalidQuantity(f"Quantity must be a whole number from {low} to {MAX_QUANTITY}.", field="quantity")
    return quantity


def find_line(state: CartState, sku: str) -> StateLine | None:
    return next((line for line in state.lines if line.sku == sku), None)


def check_new_quantity(state: CartState, sku: str, quantity: int) -> None:
    """The line limits for ``sku`` ending at ``quantity`` units (before any catalog lookup)."""
    if quantity > MAX_QUANTITY:
        raise InvalidQuantity(
            f"A line holds at most {MAX_QUANTITY} units; this would make {quantity}.", field="quantity"
        )
    if quantity > 0 and find_line(state, sku) is None and len(state.lines) >= MAX_LINES:
        raise TooManyLines(f"A cart holds at most {MAX_LINES} lines.", field="sku")


def check_sellable(priced: PricedSku | None, sku: str, quantity: int, currency: str) -> PricedSku:
    """Catalog rules for ``quantity`` units of ``sku``: exists and active, same currency, in stock."""
    if priced is None or not priced.is_active:
        raise UnknownSku(f"There is no product with the SKU {sku!r}.", field="sku")
    if priced.currency != currency:
        raise CurrencyMismatch(
            f"{sku} is sold in {priced.currency}; this cart is in {currency}.", field="sku", details={"sku": sku}
        )
    if quantity > priced.available:
        raise InsufficientStock(
            f"Only {priced.available} of {sku} available; the cart would hold {quantity}.",
            field="quantity",
            details={"sku": sku, "requested": quantity, "available": priced.available},
        )
    return priced


def set_line(state: CartState, priced: PricedSku, quantity: int) -> None:
    """Put ``quantity`` units of the priced SKU in the cart (0 drops the line), refreshing name and price."""
    line = find_line(state, priced.sku)
    if quantity <= 0:
        if line is not None:
            state.lines.remove(line)
        return
    if line is None:
        state.lines.append(
            StateLine(
                sku=priced.sku,
                name=priced.name,
                quantity=quantity,
                unit_price=priced.unit_price,
                available=priced.available,
            )
        )
    else:
        line.quantity = quantity
        line.name, line.unit_price, line.available = priced.name, priced.unit_price, priced.available


def remove_line(state: CartState, sku: str) -> None:
    state.lines = [line for line in state.lines if line.sku != sku]


def merge_quantity(existing: int, incoming: int, available: int) -> int:
    """Merging at login never fails: capped at the line limit and at what is in stock, never below ``existing``."""
    return max(existing, min(existing + incoming, MAX_QUANTITY, available))


MAX_VOUCHER_CODE_LENGTH = 40


def check_voucher_code(code: object) -> str:
    """The shape of a voucher code (whether it exists and applies is the vouchers app's question)."""
    if not isinstance(code, str) or not code.strip() or len(code.strip()) > MAX_VOUCHER_CODE_LENGTH:
        raise InvalidInput(f"A voucher code is 1 to {MAX_VOUCHER_CODE_LENGTH} characters.", field="code")
    return code.strip()


def line_total(unit_price: str, quantity: int, currency: str) -> Decimal:
    return parse_amount(unit_price) * quantity


def _subtotal(lines: list[StateLine], currency: str) -> str:
    return format_amount(sum((line_total(li.unit_price, li.quantity, currency) for li in lines), Decimal(0)), currency)


def view(state: CartState) -> CartView:
    cur = state.currency
    return CartView(
        cart_id=state.cart_id,
        status=state.status,
        currency=cur,
        lines=[
            CartViewLine(
                sku=li.sku,
                name=li.name,
                quantity=li.quantity,
                unit_price=format_amount(parse_amount(li.unit_price), cur),
                line_total=format_amount(line_total(li.unit_price, li.quantity, cur), cur),
                available=li.available,
            )
            for li in state.lines
        ],
        item_count=sum(li.quantity for li in state.lines),
        subtotal=_subtotal(state.lines, cur),
        expires_at=state.deadline,
        voucher_code=state.voucher_code,
        version=state.mutations,
    )


def contents(state: CartState) -> CartContents:
    if not state.lines:
        raise CartEmpty()
    cur = state.currency
    return CartContents(
        cart_id=state.cart_id,
        currency=cur,
        lines=[
            CartLine(
                sku=li.sku,
                name=li.name,
                quantity=li.quantity,
                unit_price=format_amount(parse_amount(li.unit_price), cur),
                line_total=format_amount(line_total(li.unit_price, li.quantity, cur), cur),
            )
            for li in state.lines
        ],
        subtotal=_subtotal(state.lines, cur),
        voucher_code=state.voucher_code,
    )
