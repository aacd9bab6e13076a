"""Storefront return pages: "Return items" on a delivered order within the window, the return's status page and
cancelling one's own request. A customer reaches only their own orders' returns; a guest only through the order's
signed lookup link (the return pages hang under it). Anything else is a 404. Writes go through returns.services."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from carts import services as cart_services
from oms_project.errors import DomainError, NotFound
from orders import selectors as order_selectors
from orders.lookup import order_number_from_token
from orders.models import Order
from returns import domain, services
from returns.forms import ReturnRequestForm
from returns.models import Return


def _order_of(request: HttpRequest, *, number: str | None = None, token: str | None = None) -> tuple[Order, str]:
    """(the order this visitor may see, the actor who asks) or 404."""
    try:
        if token is not None:
            guest_number = order_number_from_token(token=token)
            if guest_number is None:
                raise NotFound("No such order.")
            return order_selectors.order_get_guest(number=guest_number), "guest"
        if not request.user.is_authenticated:
            raise NotFound("No such order.")
        customer = cart_services.customer_for_user(user=request.user)
        assert number is not None
        return order_selectors.order_get_for_customer(number=number, customer=customer), f"customer:{customer.pk}"
    except NotFound:
        raise Http404("No such order.") from None


def _page(request: HttpRequest) -> str:
    """The order page these return pages hang under (``.../returns/...`` -> ``.../``)."""
    return request.path.split("returns/", 1)[0]


def _return_of(order: Order, return_id: str) -> Return:
    ret = Return.objects.filter(pk=return_id, order=order).first()
    if ret is None:
        raise Http404("No such return.")
    return ret


@require_http_methods(["GET", "POST"])
def return_new(request: HttpRequest, number: str | None = None, token: str | None = None) -> HttpResponse:
    order, actor = _order_of(request, number=number, token=token)
    page = _page(request)
    returnable = services.returnable_units(order)
    if not services.order_return_window_open(order) or not any(returnable.values()):
        messages.info(request, "Nothing on this order can be returned any more.")
        return redirect(page)
    form = ReturnRequestForm(request.POST or None, returnable=returnable, initial={"key": secrets.token_urlsafe(24)})
    if request.method == "POST" and form.is_valid():
        if not form.lines():
            form.add_error(None, "Choose at least one item to return.")
        else:
            try:
                ret = services.return_request(
                    order=order,
                    lines=form.lines(),
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                    actor=actor,
                    idempotency_key=f"storefront:{order.number}:{form.cleaned_data['key']}",
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                return redirect(f"{page}returns/{ret.pk}/")
    lines = {line.sku: line for line in order.lines.all()}
    rows = [(lines[sku], form[f"quantity_{sku}"]) for sku in form.skus]
    return render(request, "returns/return_new.html", {"order": order, "form": form, "rows": rows, "page": page})


def return_detail(
    request: HttpRequest, return_id: str, number: str | None = None, token: str | None = None
) -> HttpResponse:
    order, _actor = _order_of(request, number=number, token=token)
    ret = _return_of(order, return_id)
    context = {
        "order": order,
        "ret": ret,
        "lines": list(ret.lines.all()),
        "events": list(ret.events.all()),
        "page": _page(request),
        "cancellable": domain.step_refusal(ret.status, domain.ReturnStatus.CANCELLED) is None,
    }
    return render(request, "returns/return_detail.html", context)


@require_POST
def return_cancel(
    request: HttpRequest, return_id: str, number: str | None = None, token: str | None = None
) -> HttpResponse:
    order, actor = _order_of(request, number=number, token=token)
    ret = _return_of(order, return_id)
    try:
        services.return_cancel(ret=ret, actor=actor)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Return {ret.pk} is cancelled.")
    return redirect(f"{_page(request)}returns/{ret.pk}/")
