"""The customer cart page and its plain-form actions (work without JavaScript; post, then redirect).

A signed-in customer's cart is their one open cart; a guest's cart id lives in the session.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from carts import selectors, services
from carts.context_processors import remember_cart_count
from carts.contracts import CartView
from carts.domain import MAX_QUANTITY, Status
from carts.models import Cart
from carts.receivers import SESSION_CART_KEY
from catalog.selectors import sku_pictures
from oms_project.errors import DomainError, NotFound

# Said when a closed cart is replaced by a new one (the visitor adds something).
_CLOSED_MESSAGES = {
    Status.EXPIRED: "Your previous cart expired after a period of inactivity; this is a new one.",
    Status.CHECKED_OUT: "Your previous cart was checked out; this is a new one.",
}
# Said when the visitor only looks: an expired cart is news; a cart they checked out is not (they just placed the
# order, and "was checked out; this is a new one" on the next visit puzzled customers, with no new cart shown).
_CLOSED_ON_VIEW_MESSAGES = {
    Status.EXPIRED: "Your previous cart expired after a period of inactivity.",
}


def current_cart(request: HttpRequest, *, create: bool) -> Cart | None:
    """The visitor's open cart; with ``create`` a new one if there is none (or the old one closed)."""
    if request.user.is_authenticated:
        return services.cart_for_customer(customer=services.customer_for_user(user=request.user))
    cart_id = request.session.get(SESSION_CART_KEY)
    if cart_id:
        try:
            cart = selectors.cart_get_for_session(cart_id=cart_id, session_key=request.session.session_key or "")
        except NotFound:
            cart = None
        if cart is not None and cart.status == Cart.Status.OPEN:
            return cart
        closed_messages = _CLOSED_MESSAGES if create else _CLOSED_ON_VIEW_MESSAGES
        if cart is not None and cart.status in closed_messages:
            messages.info(request, closed_messages[cart.status])
        del request.session[SESSION_CART_KEY]
    if not create:
        return None
    if request.session.session_key is None:
        request.session.save()
    cart = services.cart_create_for_session(session_key=request.session.session_key)
    request.session[SESSION_CART_KEY] = cart.cart_id
    return cart


def _back(request: HttpRequest) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("carts:cart")
    return redirect(target)


def _quantity(request: HttpRequest, default: int | None = None) -> int | None:
    raw = request.POST.get("quantity", "")
    if raw == "" and default is not None:
        return default
    try:
        return int(raw)
    except ValueError:
        return None


def _mutate(request: HttpRequest, action: Callable[[Cart], CartView], success: str) -> HttpResponse:
    """Run one cart service; a closed cart is replaced by a new one once, other refusals become a message.

    A plain form post is redirected back; an htmx request from the cart page gets the updated cart panel.
    """
    cart = current_cart(request, create=True)
    assert cart is not None
    try:
        try:
            remember_cart_count(request, action(cart))
        except DomainError as error:
            if error.code not in ("cart_expired", "cart_checked_out", "cart_merged"):
                raise
            cart.refresh_from_db()
            messages.info(
                request, _CLOSED_MESSAGES.get(cart.status, "Your previous cart was closed; this is a new one.")
            )
            fresh = current_cart(request, create=True)
            assert fresh is not None
            remember_cart_count(request, action(fresh))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return _done(request)


def _done(request: HttpRequest) -> HttpResponse:
    if getattr(request, "htmx", False):
        return _render_cart(request, partial=True)
    return _back(request)


def _render_cart(request: HttpRequest, *, partial: bool) -> HttpResponse:
    cart = current_cart(request, create=False)
    view, error = None, None
    if cart is not None:
        try:
            view = selectors.cart_view(cart=cart)
        except DomainError as exc:
            error = exc.message
    if error is None:
        remember_cart_count(request, view)
    pictures = sku_pictures(line.sku for line in view.lines) if view else {}
    quote = services.cart_quote(view=view) if view is not None and view.lines else None
    template = "carts/_cart.html" if partial else "carts/cart.html"
    expires_at = datetime.fromisoformat(view.expires_at) if view and view.expires_at else None
    context = {
        "cart": view,
        "quote": quote,
        "rows": [(line, pictures.get(line.sku)) for line in view.lines] if view else [],
        "expires_at": expires_at,
        "cart_error": error,
        "max_quantity": MAX_QUANTITY,
        "partial": partial,
    }
    return render(request, template, context)


@require_GET
def cart_page(request: HttpRequest) -> HttpResponse:
    return _render_cart(request, partial=False)


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    sku = request.POST.get("sku", "")
    quantity = _quantity(request, default=1)
    if quantity is None:
        messages.error(request, f"Quantity must be a whole number from 1 to {MAX_QUANTITY}.")
        return _done(request)
    return _mutate(request, lambda c: services.cart_add_item(cart=c, sku=sku, quantity=quantity), "Added to your cart.")


@require_POST
def cart_line_update(request: HttpRequest, sku: str) -> HttpResponse:
    quantity = _quantity(request)
    if quantity is None:
        messages.error(request, f"Quantity must be a whole number from 0 to {MAX_QUANTITY}.")
        return _done(request)
    return _mutate(
        request, lambda c: services.cart_set_quantity(cart=c, sku=sku, quantity=quantity), "Your cart was updated."
    )


@require_POST
def cart_line_remove(request: HttpRequest, sku: str) -> HttpResponse:
    return _mutate(request, lambda c: services.cart_remove_item(cart=c, sku=sku), "The item was removed.")


@require_POST
def cart_clear(request: HttpRequest) -> HttpResponse:
    return _mutate(request, lambda c: services.cart_reset(cart=c), "Your cart is empty.")


@require_POST
def cart_voucher_apply(request: HttpRequest) -> HttpResponse:
    """ "Apply code": the message says why a code is refused (unknown, expired, not yet valid, under its minimum,
    used up); an applied code is priced into the cart's figures and carried to the order."""
    code = request.POST.get("code", "")
    return _mutate(
        request,
        lambda c: services.cart_apply_voucher(cart=c, code=code),
        f"The voucher {code.strip().upper()} was applied.",
    )


@require_POST
def cart_voucher_remove(request: HttpRequest) -> HttpResponse:
    return _mutate(request, lambda c: services.cart_remove_voucher(cart=c), "The voucher was removed.")
