"""How an order's timeline reads to people: the customer's order page and the back office share these labels, so
an event is called the same everywhere (and a new event type needs one entry here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EVENT_LABELS = {
    "created": "Order placed",
    "stock_reserved": "Items reserved",
    "payment_authorized": "Card authorized",
    "delivery_requested": "Delivery booked",
    "confirmed": "Order confirmed",
    "step_failed": "A step could not be completed",
    "stock_released": "Reserved items released",
    "payment_voided": "Card authorization released",
    "delivery_cancelled": "Delivery cancelled",
    "failed": "Order failed",
    "cancel_requested": "Cancellation requested",
    "cancelled": "Order cancelled",
    "payment_captured": "Payment taken",
    "stock_fulfilled": "Items taken from stock for shipping",
    "shipped": "Shipped",
    "delivery_event": "Carrier update",
    "delivery_changed": "Delivery details changed",
    "delivered": "Delivered",
    "sla_breached": "Taking longer than promised",
    "capture_failed": "Payment could not be taken",
    "payment_refunded": "Payment refunded",
    "stock_restocked": "Items returned to stock",
    "voucher_redeemed": "Voucher redeemed",
    "voucher_released": "Voucher use given back",
    # Returns (returns app) write these on the order's timeline; the return's own timeline uses the short names.
    "return_requested": "Return requested",
    "return_approved": "Return approved",
    "return_rejected": "Return rejected",
    "return_cancelled": "Return cancelled",
    "return_expired": "Return expired (nothing arrived in time)",
    "return_received": "Returned items received",
    "return_refunded": "Return refunded",
    "return_refund_failed": "Return refund refused by the payment provider",
    "goodwill_refund": "Goodwill refund",
    "shipment_started": "Shipment started",
    "shipment_refused": "Shipment refused",
    "shipment_returned": "Shipment not delivered: refunded and restocked",
    "edit_started": "Change of items requested",
    "edited": "Items changed",
    "edit_refused": "Change of items refused (nothing changed)",
    "authorization_expired": "Card authorization expired",
    "remainder_dropped": "Unshipped items dropped",
}

# Event data keys whose plain name would read poorly; the others are shown as "Their name".
_DATA_LABELS = {
    "event_id": "carrier event id",
    "occurred_at": "reported for",
    "applied": "changed the status",
    "detail": "details",
}


def event_label(event_type: str) -> str:
    return EVENT_LABELS.get(event_type, event_type.replace("_", " ").capitalize())


def actor_label(actor: str) -> str:
    """``staff:ada`` -> "Staff: ada"; the workflow's own steps read "System"."""
    kind, _, who = actor.partition(":")
    if actor in ("system", ""):
        return "System (order workflow)"
    if actor == "guest":
        return "Guest customer"
    if kind == "customer":
        return f"Customer #{who}"
    if kind in ("staff", "partner", "admin"):
        return f"{kind.capitalize()}: {who}"
    return actor


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{_key(k)}: {_value(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def _key(key: str) -> str:
    return _DATA_LABELS.get(key, key.replace("_", " "))


@dataclass(frozen=True)
class TimelineEntry:
    at: Any
    label: str
    actor: str
    details: list[tuple[str, str]]


def timeline_entries(events: list[Any]) -> list[TimelineEntry]:
    """OrderEvent rows as sentences and "name: value" pairs (no JSON), oldest first."""
    return [
        TimelineEntry(
            at=event.at,
            label=event_label(event.type),
            actor=actor_label(event.actor),
            details=[(_key(k).capitalize(), _value(v)) for k, v in (event.data or {}).items() if v not in (None, "")],
        )
        for event in events
    ]
