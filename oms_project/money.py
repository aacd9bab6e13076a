"""Money is ``Decimal`` plus an ISO 4217 currency. One rounding rule: half-up to the currency's minor unit.

Pure module (no Django), so workflows may import it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Minor units per ISO 4217 for the currencies we accept; anything else is refused at the edge.
MINOR_UNITS: dict[str, int] = {
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "CZK": 2,
    "CAD": 2,
    "AUD": 2,
    "JPY": 0,
}


def is_supported_currency(code: str) -> bool:
    return code in MINOR_UNITS


# Built once: every amount of every body is quantized (a list of 20 orders: about 320 amounts).
_QUANTA: dict[str, Decimal] = {code: Decimal(1).scaleb(-digits) for code, digits in MINOR_UNITS.items()}
_DEFAULT_QUANTUM = Decimal("0.01")


def quantum(currency: str) -> Decimal:
    return _QUANTA.get(currency, _DEFAULT_QUANTUM)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit (the one rounding rule of the project)."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def parse_amount(value: str | int | Decimal) -> Decimal:
    """A decimal from a string such as ``"12.50"``; ValueError for anything that is not a finite number."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a decimal amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return amount


def format_amount(amount: Decimal, currency: str) -> str:
    """The API representation: a decimal string with exactly the currency's minor digits."""
    return str(quantize(amount, currency))


def allocate(amount: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """Split ``amount`` over parts in proportion to ``weights``, to the currency's minor unit; the parts sum to
    ``amount`` exactly (line shares of a discount or a tax, captures and refunds of shipments and returns).

    Every part but the last is its exact share rounded half-up (the project's one rounding rule), never more
    than what is still left to give; the last part takes the remainder. All weights zero: everything on the last
    part. A negative amount is split as its opposite and negated (a discount that shrinks on an edit).
    ``amount`` must already be a whole number of minor units; weights must be non-negative.
    """
    if not weights:
        raise ValueError("allocate needs at least one part")
    if any(weight < 0 for weight in weights):
        raise ValueError("allocation weights must not be negative")
    if quantize(amount, currency) != amount:
        raise ValueError(f"{amount} is not a whole number of {currency} minor units")
    if amount < 0:
        return [-part for part in allocate(-amount, weights, currency)]
    zero = quantize(Decimal(0), currency)
    total_weight = sum(weights, Decimal(0))
    if total_weight == 0:
        return [zero] * (len(weights) - 1) + [quantize(amount, currency)]
    parts: list[Decimal] = []
    left = quantize(amount, currency)
    for weight in weights[:-1]:
        part = min(quantize(amount * weight / total_weight, currency), left)
        parts.append(part)
        left -= part
    parts.append(left)
    return parts
