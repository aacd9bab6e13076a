"""Return ids: the same request always names the same return (and so the same workflow, ``return-<id>``), and no id
gives away another (an HMAC under the server's secret, as order numbers, ADR 0046)."""

from __future__ import annotations

import base64

from django.conf import settings
from django.utils.crypto import salted_hmac

_SALT = "returns.id"


def return_id_for(idempotency_key: str) -> str:
    """``R-`` + 12 base32 characters of an HMAC of the requester's (already owner-scoped) idempotency key."""
    digest = salted_hmac(
        _SALT, f"return:{idempotency_key}", secret=settings.ORDER_NUMBER_KEY or None, algorithm="sha256"
    ).digest()
    return "R-" + base64.b32encode(digest).decode()[:12]
