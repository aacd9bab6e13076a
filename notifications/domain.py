"""Which order events e-mail the customer, and what each e-mail is called (pure: no Django).

API.md "Customer e-mails": confirmed, failed, cancelled, shipped (each shipment) and delivered; no others (an order
confirms within seconds, so there is no "received" mail), and when a return is approved, rejected or refunded.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    CONFIRMED = "confirmed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    RETURN_APPROVED = "return_approved"
    RETURN_REJECTED = "return_rejected"
    RETURN_REFUNDED = "return_refunded"


# Order timeline event type -> the e-mail it causes. Every other event (created, stock_reserved, ...) sends nothing.
EMAIL_FOR_EVENT: dict[str, Kind] = {kind.value: kind for kind in Kind}

SUBJECTS: dict[Kind, str] = {
    Kind.CONFIRMED: "Your order {number} is confirmed",
    Kind.FAILED: "Your order {number} could not be placed",
    Kind.CANCELLED: "Your order {number} has been cancelled",
    Kind.SHIPPED: "Your order {number} is on its way",
    Kind.DELIVERED: "Your order {number} has been delivered",
    Kind.RETURN_APPROVED: "Your return for order {number} is approved",
    Kind.RETURN_REJECTED: "Your return for order {number} was not accepted",
    Kind.RETURN_REFUNDED: "Your refund for order {number} is on its way",
}


def email_kind_for(event_type: str) -> Kind | None:
    return EMAIL_FOR_EVENT.get(event_type)


def subject_for(kind: str, *, number: str) -> str:
    return SUBJECTS[Kind(kind)].format(number=number)


def message_id(*, email_id: int, domain: str) -> str:
    """One Message-ID per e-mail row, the same on every attempt: a duplicate delivery is recognisable."""
    return f"<oms-email-{email_id}@{domain}>"
