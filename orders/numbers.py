"""Order numbers: the same request (or cart) always names the same order, and no number gives away another.

Pure of the database: services, selectors and views all need them (ADR 0046)."""

from __future__ import annotations

import base64

from django.conf import settings
from django.utils.crypto import salted_hmac

_NUMBER_SALT = "orders.number"


def order_number_for(idempotency_key: str) -> str:
    """``O-`` + 12 base32 characters: an HMAC of the caller's idempotency key under ``ORDER_NUMBER_KEY``. The
    same key always names the same order, so a repeated placement attaches to the same workflow
    (``order-<number>``) instead of making a second order. Without the secret neither the key nor another order's
    number can be derived from a number (the service keys are sequential record ids: a plain hash of them would
    let anyone enumerate every order)."""
    digest = salted_hmac(
        _NUMBER_SALT, f"order:{idempotency_key}", secret=settings.ORDER_NUMBER_KEY or None, algorithm="sha256"
    ).digest()
    return "O-" + base64.b32encode(digest).decode()[:12]


def order_number_for_cart(cart_id: str) -> str:
    """The number the order of a checked-out cart has (or will have): one cart, one order."""
    return order_number_for(cart_order_key(cart_id))


def cart_order_key(cart_id: str) -> str:
    return f"cart:{cart_id}"
