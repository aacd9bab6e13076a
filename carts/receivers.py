"""Signal receivers (connected in ``CartsConfig.ready``)."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest

from carts import services
from oms_project.errors import DomainError

log = logging.getLogger(__name__)

SESSION_CART_KEY = "cart_id"


def merge_guest_cart_on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """The guest cart of this session joins the customer's cart; a failure never blocks the login."""
    session = getattr(request, "session", None)
    cart_id = session.pop(SESSION_CART_KEY, None) if session is not None else None
    if not cart_id:
        return
    try:
        services.cart_merge_guest_into_customer(guest_cart_id=cart_id, customer=services.customer_for_user(user=user))
    except DomainError as error:
        log.warning("Guest cart %s was not merged at login: %s", cart_id, error.message)
