"""Guest order lookup links: a signed token of the order number, so the URL cannot be guessed or forged.

The token carries no expiry: like a receipt, the link keeps working (ADR 0071)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.urls import reverse

from orders.models import Order

_SALT = "orders.guest-lookup"


def order_lookup_token(*, number: str) -> str:
    """``<number>:<HMAC>``: the same link every time (page and e-mail), unforgeable without SECRET_KEY."""
    return signing.Signer(salt=_SALT).sign(number)


def order_number_from_token(*, token: str) -> str | None:
    """The order number a token was made for, or None if it was altered or is not ours."""
    try:
        return signing.Signer(salt=_SALT).unsign(token)
    except signing.BadSignature:
        return None


def order_lookup_path(*, number: str) -> str:
    return reverse("orders:guest-detail", args=[order_lookup_token(number=number)])


def order_lookup_link_send(*, order: Order, absolute_url: str) -> None:
    """E-mail the guest their lookup link (console backend by default)."""
    send_mail(
        subject=f"Your order {order.number}",
        message=(
            f"Thank you for your order {order.number} ({order.total} {order.currency}).\n\n"
            f"Follow its status, see its details or cancel it here:\n{absolute_url}\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[order.contact_email],
        fail_silently=True,
    )
