"""Storefront order pages: checkout, the live confirmation / order page, order history, cancel, guest lookup.

Every read comes from the order read model (never a Temporal query); writes go through ``orders.services``.
A customer reaches only their own orders by number; a guest reaches their order only through its signed
lookup link. Anything else is a 404.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carts import selectors as cart_selectors
from carts import services as cart_services
from carts.models import Cart
from carts.views import current_cart
from customers.models import Customer
from oms_project.errors import DomainError, IdempotencyInFlight, IdempotencyKeyReused, NotFound
from oms_project.idempotency import Answer, idempotent
from orders import domain, selectors, services
from orders.domain import FailureReason, Priority, Status
from orders.forms import CheckoutForm, OrderEditForm
from orders.lookup import order_lookup_path, order_number_from_token
from orders.models import Order, OrderEvent
from orders.pricing import pricing_rules
from orders.timeline import event_label
from payments.errors import PaymentDeclined

_NOT_CHARGED = "You have not been charged."
_FAILURE_TEXT = {
    FailureReason.PAYMENT_DECLINED: f"Your card was declined, so the order could not be placed. {_NOT_CHARGED}",
    FailureReason.INSUFFICIENT_STOCK: f"Some items ran out of stock while we reserved them. {_NOT_CHARGED}",
    FailureReason.STEP_FAILED: f"A technical problem stopped the order. {_NOT_CHARGED}",
    FailureReason.VOUCHER_EXHAUSTED: f"Your voucher was used up by other orders a moment before yours. {_NOT_CHARGED}",
    FailureReason.VOUCHER_INVALID: f"Your voucher was no longer valid when the order was placed. {_NOT_CHARGED}",
}

_NOT_CONFIRMED_IN_TIME = (
    "We could not confirm your order in time. Please place it again: if it already went through, you are taken "
    "to it, and your card is never charged twice."
)

# Refusals that mean "look at your cart again" rather than "fix a field".
_CART_PROBLEMS = {"cart_empty", "cart_expired", "cart_merged"}


def _customer(request: HttpRequest) -> Customer | None:
    if request.user.is_authenticated:
        return cart_services.customer_for_user(user=request.user)
    return None


def _actor(customer: Customer | None) -> str:
    return f"customer:{customer.pk}" if customer else "guest"


def _owned_cart(request: HttpRequest, cart_id: str, customer: Customer | None) -> Cart:
    """The cart named by the form, if it belongs to this visitor (any status: a repeat submit finds it closed)."""
    if customer is not None:
        return cart_selectors.cart_get_for_customer(cart_id=cart_id, customer=customer)
    return cart_selectors.cart_get_for_session(cart_id=cart_id, session_key=request.session.session_key or "")


def _initial(customer: Customer | None, cart: Cart) -> dict[str, str]:
    initial = {"cart_id": cart.cart_id, "idempotency_key": secrets.token_urlsafe(24)}
    if customer is not None:
        initial |= {"email": customer.email, "name": customer.user.get_full_name(), "phone": customer.phone}
        address = customer.addresses.first()
        if address is not None:
            initial |= {k: getattr(address, k) for k in ("line1", "line2", "city", "postal_code", "country")} | {
                "name": address.name
            }
    return initial


def _order_url(order: Order) -> str:
    return _number_url(order.number, guest=order.customer_id is None)


def _number_url(number: str, *, guest: bool) -> str:
    """The order page by number: also before the order is recorded (the page then says it is being placed)."""
    return order_lookup_path(number=number) if guest else reverse("orders:detail", args=[number])


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    if request.method == "POST":
        form = CheckoutForm(request.POST)
        if form.is_valid():
            try:
                cart = _owned_cart(request, form.cleaned_data["cart_id"], customer)
            except NotFound:
                messages.error(request, "That cart is no longer yours to check out.")
                return redirect("carts:cart")
            outcome = _place_once(request, form, cart, customer)
            if outcome is not None:
                return outcome
    cart = current_cart(request, create=False)
    view = cart_selectors.cart_view(cart=cart) if cart is not None else None
    if cart is None or view is None or not view.lines:
        messages.info(request, "Your cart is empty: add something before checking out.")
        return redirect("carts:cart")
    if request.method != "POST" or form.data.get("cart_id") != cart.cart_id:
        form = CheckoutForm(initial=_initial(customer, cart))
    quotes = {
        priority.value: cart_services.cart_quote(view=view, priority=priority, email=customer.email if customer else "")
        for priority in Priority
    }
    context = {
        "form": form,
        "cart": view,
        "rules": pricing_rules(),
        # Each delivery choice priced by the one pricing function, as the order will be: the page shows the total
        # that is charged before anything is placed.
        "quotes": {priority: quote.totals for priority, quote in quotes.items()},
        "voucher_quote": quotes[Priority.NORMAL.value],
    }
    return render(request, "orders/checkout.html", context)


def _place_once(request: HttpRequest, form: CheckoutForm, cart: Cart, customer: Customer | None) -> HttpResponse | None:
    """The form's hidden key through the one idempotency mechanism (``oms_project.idempotency``, ADR 0048), in the
    visitor's key space: a repeated submit gets the first answer (the same redirect) without placing again; a form
    to correct is not kept, so the same form may be sent again. None: show the form (with its errors)."""
    if customer is None and request.session.session_key is None:
        request.session.save()
    owner = f"customer:{customer.pk}" if customer is not None else f"session:{request.session.session_key}"
    body = {name: value for name, value in form.cleaned_data.items() if name != "idempotency_key"}
    try:
        answer = idempotent(
            owner=owner,
            key=form.cleaned_data["idempotency_key"],
            scope=f"storefront.checkout:{cart.cart_id}",
            body=body,
            work=lambda _service_key: _place(request, form, cart, customer),
        )
    except (IdempotencyInFlight, IdempotencyKeyReused):
        # The same form is being submitted right now (a double click), or was sent before with other fields: the
        # cart decides. Checked out: its order exists or will; else the first submit is still under way.
        cart.refresh_from_db()
        if cart.status == Cart.Status.CHECKED_OUT:
            return redirect(f"{_number_url(services.order_number_for_cart(cart.cart_id), guest=customer is None)}")
        form.add_error(None, "This order is already being placed; wait a moment, then reload the page.")
        return None
    return redirect(answer.location) if answer.location else None


def _place(request: HttpRequest, form: CheckoutForm, cart: Cart, customer: Customer | None) -> Answer:
    """Place the order: a redirect on success (or when the cart went away), else the form's errors (not kept)."""
    number = services.order_number_for_cart(cart.cart_id)
    try:
        order = services.order_place_from_cart(
            cart_id=cart.cart_id,
            customer=customer,
            contact=form.contact(),
            shipping_address=form.shipping_address(),
            delivery={"priority": form.cleaned_data["priority"]},
            payment={"method": "card", "token": form.cleaned_data["card_token"]},
            idempotency_key=form.cleaned_data["idempotency_key"],
            actor=_actor(customer),
        )
    except DomainError as error:
        cart.refresh_from_db()
        if cart.status == Cart.Status.CHECKED_OUT:
            # Past the close the order exists or will (the cart's checkout starts it, retried until it has): the
            # customer belongs on its page, never on "your cart is empty" (issue #13, edge 1).
            url = _number_url(number, guest=customer is None)
            if cart.checkout_key == form.cleaned_data["idempotency_key"]:
                return _redirect(f"{url}?placed=1")  # this very submit closed the cart (e.g. then timed out)
            messages.info(request, "This cart was already ordered; here is the order.")
            return _redirect(url)
        if error.code in _CART_PROBLEMS or error.code == "cart_checked_out":
            messages.error(request, f"{error.message} Please check your cart.")
            return _redirect(reverse("carts:cart"))
        if error.code == "temporal_unavailable":
            # The checkout may still go through: the same form (same key) leads to the order if it did.
            form.add_error(None, _NOT_CONFIRMED_IN_TIME)
        else:
            form.add_error(None, error.message)
        return Answer(status=200, final=False)
    # The guest's link travels in the order's confirmation (or failure) e-mail (notifications, docs/notifications.md).
    return _redirect(f"{_order_url(order)}?placed=1")


def _redirect(location: str) -> Answer:
    return Answer(status=302, location=location)


# --- the order page (customers by number, guests by signed token) ---------------------------------------


@dataclass(frozen=True)
class OrderUrls:
    page: str
    status: str
    cancel: str
    reorder: str
    edit: str = ""


def _customer_urls(number: str) -> OrderUrls:
    return OrderUrls(
        page=reverse("orders:detail", args=[number]),
        status=reverse("orders:status", args=[number]),
        cancel=reverse("orders:cancel", args=[number]),
        reorder=reverse("orders:reorder", args=[number]),
        edit=reverse("orders:edit", args=[number]),
    )


def _guest_urls(token: str) -> OrderUrls:
    return OrderUrls(
        page=reverse("orders:guest-detail", args=[token]),
        status=reverse("orders:guest-status", args=[token]),
        cancel=reverse("orders:guest-cancel", args=[token]),
        reorder=reverse("orders:guest-reorder", args=[token]),
        edit=reverse("orders:guest-edit", args=[token]),
    )


def _own_order(request: HttpRequest, number: str) -> Order:
    customer = _customer(request)
    if customer is None:
        raise Http404("No such order.")
    try:
        return selectors.order_get_for_customer(number=number, customer=customer)
    except NotFound:
        raise Http404("No such order.") from None


def _guest_order(token: str) -> Order:
    number = order_number_from_token(token=token)
    if number is None:
        raise Http404("No such order.")
    try:
        return selectors.order_get_guest(number=number)
    except NotFound:
        raise Http404("No such order.") from None


# The void compensation runs after every failed payment step, also when the card was declined and nothing was
# ever authorized: then there was nothing to release, and the timeline must not suggest there was.
_NOTHING_AUTHORIZED_LABEL = "No payment was taken"


def _event_labels(events: list[OrderEvent]) -> None:
    authorized = False
    for event in events:
        authorized = authorized or event.type == "payment_authorized"
        if event.type == "payment_voided" and not authorized:
            event.label = _NOTHING_AUTHORIZED_LABEL
        else:
            event.label = event_label(event.type)


def _status_context(order: Order, urls: OrderUrls) -> dict[str, object]:
    events = list(order.events.all())
    _event_labels(events)
    detail = next((e.data.get("detail", "") for e in events if e.type == "step_failed"), "")
    return {
        "order": order,
        "urls": urls,
        "events": events,
        "pending": order.status == Status.CREATED,
        "cancellable": order.status != Status.CANCELLED
        and domain.cancel_refusal(order.status, order.pending_action) is None,
        # Before dispatch only (a customer does not edit a partly shipped order; staff and partners may).
        "editable": order.status == Status.CONFIRMED
        and domain.edit_refusal(order.status, order.pending_action) is None,
        "shipments": list(order.shipments.order_by("seq")),
        "failure_text": _FAILURE_TEXT.get(order.failure_reason, "The order could not be completed.")
        if order.status == Status.FAILED
        else "",
        "failure_detail": detail,
        # Reasons are sentences of their own ("Cancelled by the customer."); the page ends the sentence itself.
        "cancel_reason": order.cancel_reason.rstrip(". "),
    }


def _page_context(request: HttpRequest, order: Order, urls: OrderUrls) -> dict[str, object]:
    """``placed``: just checked out (the heading follows the status, so the polled fragment carries it)."""
    context = _status_context(order, urls) | {"placed": request.GET.get("placed") == "1"}
    if order.customer_id is None:
        context["lookup_url"] = request.build_absolute_uri(urls.page)
    return context


def _detail(request: HttpRequest, order: Order, urls: OrderUrls) -> HttpResponse:
    return render(request, "orders/order_detail.html", _page_context(request, order, urls))


def _being_placed(request: HttpRequest, number: str) -> bool:
    customer = _customer(request)
    return selectors.order_being_placed(number=number, customer=customer, session_key=request.session.session_key or "")


def _placing(request: HttpRequest, number: str, *, lookup_url: str) -> HttpResponse:
    """The page of an order whose cart is checked out but which is not recorded yet (its start was slow): it
    reloads itself (no JavaScript needed) until the order shows."""
    return render(request, "orders/order_placing.html", {"number": number, "lookup_url": lookup_url})


def _status(request: HttpRequest, order: Order, urls: OrderUrls) -> HttpResponse:
    return render(request, "orders/_status.html", _page_context(request, order, urls))


def _cancel(request: HttpRequest, order: Order, urls: OrderUrls, actor: str) -> HttpResponse:
    """GET: the confirmation step (a page, so it works without JavaScript); POST: cancel."""
    if request.method != "POST":
        context = _status_context(order, urls)
        if not context["cancellable"]:
            messages.error(request, f"Order {order.number} can no longer be cancelled.")
            return redirect(urls.page)
        return render(request, "orders/cancel_confirm.html", context)
    try:
        answer = services.order_cancel(number=order.number, reason="Cancelled by the customer", actor=actor)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if answer.pending_action:
            messages.info(request, f"Order {order.number} is being cancelled; this page shows when it is done.")
        else:
            messages.success(request, f"Order {order.number} is cancelled. Any payment authorization was released.")
    return redirect(urls.page)


_DECLINED_TEXT = (
    "Your card declined the extra amount, so nothing was changed: your order stays as it was. "
    "Try fewer items, or contact us to pay another way."
)


def _edit(request: HttpRequest, order: Order, urls: OrderUrls, actor: str) -> HttpResponse:
    """Change quantities or remove lines of a confirmed order before dispatch (the same edit service as the API):
    the first POST shows the new total, the second (``confirm``) applies it."""
    context = _status_context(order, urls)
    if not context["editable"]:
        messages.error(request, f"Order {order.number} can no longer be changed.")
        return redirect(urls.page)
    lines = list(order.lines.all())
    form = OrderEditForm(request.POST or None, lines=lines)
    preview = None
    if request.method == "POST" and form.is_valid():
        try:
            if "confirm" in request.POST:
                answer = services.order_edit(number=order.number, lines=form.edit_lines(), actor=actor)
                if answer.pending_action:
                    messages.info(request, f"Order {order.number} is being changed; this page shows when it is done.")
                else:
                    messages.success(
                        request,
                        f"Order {order.number} was changed. New total: {answer.order.total} {answer.order.currency}.",
                    )
                return redirect(urls.page)
            preview = services.order_edit_prepare(order=order, lines=form.edit_lines(), actor=actor)
        except PaymentDeclined:
            form.add_error(None, _DECLINED_TEXT)
        except DomainError as error:
            form.add_error(None, error.message)
    rows = [(line, form[f"qty_{line.sku}"]) for line in lines]
    return render(request, "orders/order_edit.html", context | {"form": form, "rows": rows, "preview": preview})


def _reorder(request: HttpRequest, order: Order, urls: OrderUrls) -> HttpResponse:
    """Put a failed or cancelled order's lines back into the visitor's cart (what is still sellable)."""
    cart = current_cart(request, create=True)
    assert cart is not None
    added = 0
    for line in order.lines.all():
        try:
            cart_services.cart_add_item(cart=cart, sku=line.sku, quantity=line.quantity)
            added += 1
        except DomainError as error:
            messages.error(request, f"{line.name}: {error.message}")
    if added:
        messages.success(request, "The items are back in your cart.")
    return redirect("carts:cart")


@login_required
@require_GET
def order_history(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    assert customer is not None
    page = Paginator(selectors.order_list_for_customer(customer=customer), 10).get_page(request.GET.get("page"))
    return render(request, "orders/order_history.html", {"page": page})


@require_GET
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    try:
        order = _own_order(request, number)
    except Http404:
        if not _being_placed(request, number):
            raise
        return _placing(request, number, lookup_url="")
    return _detail(request, order, _customer_urls(number))


@require_GET
def order_status(request: HttpRequest, number: str) -> HttpResponse:
    return _status(request, _own_order(request, number), _customer_urls(number))


@require_http_methods(["GET", "POST"])
def order_cancel(request: HttpRequest, number: str) -> HttpResponse:
    order = _own_order(request, number)
    return _cancel(request, order, _customer_urls(number), _actor(order.customer))


@require_http_methods(["GET", "POST"])
def order_edit(request: HttpRequest, number: str) -> HttpResponse:
    order = _own_order(request, number)
    return _edit(request, order, _customer_urls(number), _actor(order.customer))


@require_http_methods(["GET", "POST"])
def guest_edit(request: HttpRequest, token: str) -> HttpResponse:
    return _edit(request, _guest_order(token), _guest_urls(token), "guest")


@require_POST
def order_reorder(request: HttpRequest, number: str) -> HttpResponse:
    return _reorder(request, _own_order(request, number), _customer_urls(number))


@require_GET
def guest_detail(request: HttpRequest, token: str) -> HttpResponse:
    try:
        order = _guest_order(token)
    except Http404:
        number = order_number_from_token(token=token)
        if number is None or not _being_placed(request, number):
            raise
        return _placing(request, number, lookup_url=request.build_absolute_uri(_guest_urls(token).page))
    return _detail(request, order, _guest_urls(token))


@require_GET
def guest_status(request: HttpRequest, token: str) -> HttpResponse:
    return _status(request, _guest_order(token), _guest_urls(token))


@require_http_methods(["GET", "POST"])
def guest_cancel(request: HttpRequest, token: str) -> HttpResponse:
    return _cancel(request, _guest_order(token), _guest_urls(token), "guest")


@require_POST
def guest_reorder(request: HttpRequest, token: str) -> HttpResponse:
    return _reorder(request, _guest_order(token), _guest_urls(token))
