"""Guest order lookup links: a signed token of the order number, so the URL cannot be guessed or forged.

The token carries no expiry: like a receipt, the link keeps working (ADR 0071)."""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

_SALT = "orders.guest-lookup"


def order_lookup_token(*, number: str) -> str:
    """``<number>:<HMAC>``: the same link every time (page and e-mails), unforgeable without SECRET_KEY."""
    return signing.Signer(salt=_SALT).sign(number)


def order_number_from_token(*, token: str) -> str | None:
    """The order number a token was made for, or None if it was altered or is not ours."""
    try:
        return signing.Signer(salt=_SALT).unsign(token)
    except signing.BadSignature:
        return None


def order_lookup_path(*, number: str) -> str:
    return reverse("orders:guest-detail", args=[order_lookup_token(number=number)])
