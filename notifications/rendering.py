"""An e-mail row rendered into the message the customer receives: the templates in ``templates/emails/`` (text
and HTML), the order summary with every total, and the link to the order's page (the signed guest link for a
guest, the account page for a customer; partner orders link to nothing of ours)."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from notifications import domain
from notifications.models import Email
from orders.lookup import order_lookup_path
from orders.models import Order

# What a customer is told about the money, by payment status at the time of the e-mail.
_MONEY_LINES = {
    "pending": "Nothing was charged.",
    "failed": "Nothing was charged.",
    "voided": "Nothing was charged: the hold on your card has been released.",
    "authorized": "Your card has been authorised; it is charged when the order ships.",
    "captured": "Your card has been charged {total}.",
    "refunded": "Your payment of {total} has been refunded.",
}
_FAILURE_TEXT = {
    "payment_declined": "Your card was declined.",
    "insufficient_stock": "Some items ran out of stock while we reserved them.",
    "step_failed": "A technical problem stopped the order.",
    "voucher_exhausted": "Your voucher had just been used up by other orders.",
    "voucher_invalid": "Your voucher was no longer valid when the order was placed.",
}
_CANCEL_TEXT = {
    "authorization_expired": "It was not shipped before your card authorisation expired.",
    "delivery_failed": "The carrier could not deliver it.",
    "capture_failed": "Your payment could not be taken when it was about to ship.",
}


def order_url(order: Order) -> str:
    """The page where the recipient follows this order, absolute; empty for partner orders."""
    if order.partner_id is not None:
        return ""
    path = (
        reverse("orders:detail", args=[order.number])
        if order.customer_id is not None
        else order_lookup_path(number=order.number)
    )
    return settings.SITE_URL + path


def _amount(value: Any, currency: str) -> str:
    return f"{value} {currency}"


def email_context(email: Email) -> dict[str, Any]:
    order = email.order
    event_data = email.event.data if email.event_id else {}
    total = _amount(order.total, order.currency)
    money = _MONEY_LINES.get(order.payment_status, "").format(total=total)
    return {
        "kind": email.kind,
        "subject": domain.subject_for(email.kind, number=order.number),
        "order": order,
        "lines": list(order.lines.all()),
        "totals": [
            (label, _amount(value, order.currency))
            for label, value in (
                ("Subtotal", order.subtotal),
                (
                    f"Discount ({order.voucher_code})" if order.voucher_code else "Discount",
                    -order.discount if order.discount else None,
                ),
                ("Shipping", order.shipping),
                ("Tax", order.tax),
            )
            if value is not None
        ],
        "total": total,
        "money": money,
        "nothing_charged": money.startswith("Nothing was charged"),
        "failure": _FAILURE_TEXT.get(order.failure_reason, "") if email.kind == domain.Kind.FAILED else "",
        "cancel_reason": _CANCEL_TEXT.get(order.cancel_reason, "") if email.kind == domain.Kind.CANCELLED else "",
        "carrier": event_data.get("carrier") or order.tracking_carrier,
        "tracking_number": event_data.get("tracking_number") or order.tracking_number,
        "order_url": order_url(order),
        "shop_url": settings.SITE_URL + "/",
        "recipient": order.contact_name,
        "event": event_data,  # a return's e-mail: its return_id, receive_by, reason, amount
    }


def _sender_domain(from_email: str) -> str:
    """``shop@example.com`` or ``Shop <shop@example.com>`` -> ``example.com``."""
    return parseaddr(from_email)[1].rpartition("@")[2] or "localhost"


def email_message(email: Email) -> EmailMultiAlternatives:
    context = email_context(email)
    from_email = settings.DEFAULT_FROM_EMAIL
    message = EmailMultiAlternatives(
        subject=context["subject"],
        body=render_to_string(f"emails/{email.kind}.txt", context),
        from_email=from_email,
        to=[email.to],
        headers={"Message-ID": domain.message_id(email_id=email.pk, domain=_sender_domain(from_email))},
    )
    message.attach_alternative(render_to_string(f"emails/{email.kind}.html", context), "text/html")
    return message
