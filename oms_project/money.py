"""Money is ``Decimal`` plus an ISO 4217 currency. One rounding rule: half-up to the currency's minor unit.

Pure module (no Django), so workflows may import it.
"""

from __future__ import annotations

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


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2))


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
