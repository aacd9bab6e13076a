"""Pure webhook rules: event types, the body that is signed, the signature, the retry arithmetic."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

ORDER_CREATED = "order.created"
ORDER_CONFIRMED = "order.confirmed"
ORDER_FAILED = "order.failed"
ORDER_CANCELLED = "order.cancelled"
ORDER_SHIPPED = "order.shipped"
ORDER_DELIVERED = "order.delivered"
ORDER_UPDATED = "order.updated"  # after an edit, a shipment or a refund: sent each time (not once per order)
RETURN_REQUESTED = "return.requested"
RETURN_APPROVED = "return.approved"
RETURN_REJECTED = "return.rejected"
RETURN_REFUNDED = "return.refunded"
EVENT_TYPES: tuple[str, ...] = (
    ORDER_CREATED,
    ORDER_CONFIRMED,
    ORDER_FAILED,
    ORDER_CANCELLED,
    ORDER_SHIPPED,
    ORDER_DELIVERED,
    ORDER_UPDATED,
    RETURN_REQUESTED,
    RETURN_APPROVED,
    RETURN_REJECTED,
    RETURN_REFUNDED,
)
# Event types an order may publish many times: deduplicated per write, not per order.
REPEATABLE_EVENT_TYPES: frozenset[str] = frozenset({ORDER_UPDATED})

SIGNATURE_HEADER = "OMS-Signature"
EVENT_ID_HEADER = "OMS-Event-Id"
SIGNATURE_VERSION = "v1"


def event_body(*, event_id: str, event_type: str, created_at: datetime, data: dict[str, Any]) -> str:
    """The exact bytes every attempt sends (serialized once, stored, signed as is)."""
    return json.dumps(
        {"id": event_id, "type": event_type, "created_at": created_at.isoformat(), "data": data},
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )


def sign(*, secret: str, timestamp: int, body: str) -> str:
    """The ``OMS-Signature`` header value: ``t=<unix>,v1=<hex HMAC-SHA256 of "t.body">``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},{SIGNATURE_VERSION}={digest}"


def verify(*, secret: str, header: str, body: str, now: int, tolerance_seconds: int = 300) -> bool:
    """What a receiver does (docs/webhooks.md); used by our own tests as the reference check."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret=secret, timestamp=timestamp, body=body).split(",", 1)[1]
    return hmac.compare_digest(expected, f"{SIGNATURE_VERSION}={parts.get(SIGNATURE_VERSION, '')}")


def retry_interval_seconds(*, attempt: int, initial: float, backoff: float, maximum: float) -> float:
    """Temporal's backoff: the wait after failed attempt ``attempt`` (1-based)."""
    return min(initial * backoff ** (attempt - 1), maximum)
