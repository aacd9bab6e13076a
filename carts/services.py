"""Cart writes. Views call these; these call the cart workflow through ``oms_project.temporal`` only.

Who writes what (see docs/carts.md): the service creates the ``Cart`` row (owner, open) before the first
update starts the workflow; after that only the workflow's ``carts.record_status`` activity changes the
row's status, before the workflow ends. ``expires_at`` on the row is a hint for lists, refreshed here.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from carts import domain
from carts.contracts import (
    AddItemInput,
    ApplyVoucherInput,
    CartContents,
    CartLine,
    CartView,
    CartWorkflowInput,
    CheckoutInput,
    CloseInput,
    LineInput,
    MergeInput,
    OrderRequest,
    RemoveItemInput,
    RemoveVoucherInput,
    ResetInput,
    SetQuantityInput,
    TouchInput,
    cart_workflow_id,
)
from carts.errors import CartCheckedOut, CartEmpty, CartExpired
from carts.models import Cart
from carts.selectors import cart_open_for_customer, cart_view, empty_view
from carts.workflows import CartWorkflow
from catalog.selectors import variant_snapshots
from customers.models import Customer
from oms_project import temporal
from oms_project.errors import NotFound
from oms_project.money import format_amount, parse_amount
from orders.domain import PricedLine
from orders.pricing import Quote, price_quote

log = logging.getLogger(__name__)


def _idle_timeout(cart: Cart) -> timedelta:
    return settings.CART_CUSTOMER_IDLE_TIMEOUT if cart.customer_id else settings.CART_GUEST_IDLE_TIMEOUT


def _workflow_input(cart: Cart) -> CartWorkflowInput:
    return CartWorkflowInput(
        cart_id=cart.cart_id,
        currency=cart.currency,
        idle_timeout_seconds=_idle_timeout(cart).total_seconds(),
        max_history_events=settings.CART_MAX_HISTORY_EVENTS,
    )


def _new_cart(**owner: Any) -> Cart:
    cart = Cart(currency=settings.DEFAULT_CURRENCY, **owner)
    cart.expires_at = timezone.now() + _idle_timeout(cart)
    cart.view = dataclasses.asdict(empty_view(cart))  # version 0: the workflow's first answer replaces it
    cart.save()
    return cart


def _mutate(cart: Cart, update: Any, arg: Any, *, new: bool = False) -> CartView:
    """Apply one update, starting the cart's workflow with it if needed (no create race).

    A cart row that existed before this request most likely has its workflow running: a plain update then, with
    update-with-start only when Temporal answers not-found (``running_likely``; #19: update-with-start
    on a running workflow cost 1.3 to 3.1 ms more per add). A ``new`` cart, made in this request, starts at once.
    """
    domain.ensure_open(cart.status)
    try:
        view: CartView = temporal.update_with_start(
            update,
            arg,
            workflow=CartWorkflow.run,
            workflow_arg=_workflow_input(cart),
            workflow_id=cart_workflow_id(cart.cart_id),
            task_queue=settings.CART_TASK_QUEUE,
            # A finished cart workflow (expired, checked out) must never be started again under its id.
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            running_likely=not new,
        )
    except WorkflowAlreadyStartedError:
        # The workflow ended after we read the row; the row says why (it is written before the workflow ends).
        cart.refresh_from_db()
        domain.ensure_open(cart.status)
        raise CartExpired("This cart is no longer open; start a new one.") from None
    _record_view(cart, view)
    return view


def _record_view(cart: Cart, view: CartView) -> None:
    """The read model: the workflow's answer, kept on the row before the caller gets it (so the caller's next read
    shows its write) in one UPDATE. Concurrent mutations may answer out of order: only a later version replaces an
    earlier one, and a closed row is left alone (its status was written by the workflow)."""
    fields: dict[str, Any] = {"view": dataclasses.asdict(view), "view_version": view.version}
    if view.expires_at:
        fields["expires_at"] = datetime.fromisoformat(view.expires_at)
    if Cart.objects.filter(pk=cart.pk, status=Cart.Status.OPEN, view_version__lt=view.version).update(**fields):
        for name, value in fields.items():
            setattr(cart, name, value)


# --- creating and finding the caller's cart ---------------------------------------------------------------


def cart_create_for_partner(*, partner: Any) -> CartView:
    cart = _new_cart(partner=partner)
    return _mutate(cart, CartWorkflow.touch, TouchInput(), new=True)


def cart_for_customer(*, customer: Any) -> Cart:
    """The customer's one open cart (the same on every device), created on first use."""
    cart = cart_open_for_customer(customer=customer)
    if cart is not None:
        return cart
    try:
        with transaction.atomic():
            return _new_cart(customer=customer)
    except IntegrityError:  # another request created it first (one open cart per customer is a DB constraint)
        cart = cart_open_for_customer(customer=customer)
        if cart is None:
            raise
        return cart


def cart_create_for_session(*, session_key: str) -> Cart:
    return _new_cart(session_key=session_key)


def customer_for_user(*, user: Any) -> Customer:
    """The shop customer behind a signed-in user (created on first use: any account may shop)."""
    customer, _ = Customer.objects.get_or_create(user=user)
    return customer


# --- mutations --------------------------------------------------------------------------------------------


def cart_add_item(*, cart: Cart, sku: str, quantity: int) -> CartView:
    domain.check_sku(sku)
    domain.check_quantity(quantity)
    return _mutate(cart, CartWorkflow.add_item, AddItemInput(sku=sku, quantity=quantity))


def cart_set_quantity(*, cart: Cart, sku: str, quantity: int) -> CartView:
    domain.check_sku(sku)
    domain.check_quantity(quantity, allow_zero=True)
    return _mutate(cart, CartWorkflow.set_quantity, SetQuantityInput(sku=sku, quantity=quantity))


def cart_remove_item(*, cart: Cart, sku: str) -> CartView:
    domain.check_sku(sku)
    return _mutate(cart, CartWorkflow.remove_item, RemoveItemInput(sku=sku))


def cart_reset(*, cart: Cart) -> CartView:
    return _mutate(cart, CartWorkflow.reset, ResetInput())


def cart_quote(*, view: CartView, priority: str = "normal", email: str = "") -> Quote:
    """The cart's figures by the one pricing function (API.md "Totals and vouchers": a normal-priority quote unless
    asked otherwise), with its voucher if it applies now; the order is priced the same way at checkout."""
    lines = [PricedLine(line.sku, line.name, parse_amount(line.unit_price), line.quantity) for line in view.lines]
    return price_quote(
        lines=lines, currency=view.currency, priority=priority, voucher_code=view.voucher_code, email=email
    )


def cart_apply_voucher(*, cart: Cart, code: str) -> CartView:
    """Apply a voucher code to the cart (VoucherInvalid / VoucherExhausted say why not); the checkout carries it
    to the order."""
    return _mutate(cart, CartWorkflow.apply_voucher, ApplyVoucherInput(code=domain.check_voucher_code(code)))


def cart_remove_voucher(*, cart: Cart) -> CartView:
    return _mutate(cart, CartWorkflow.remove_voucher, RemoveVoucherInput())


def cart_merge_guest_into_customer(*, guest_cart_id: str, customer: Any) -> CartView | None:
    """At login: the guest cart's lines go into the customer's cart, then the guest cart is closed.

    Safe to repeat: the customer's workflow remembers merged source carts, and closing is idempotent.
    """
    guest = Cart.objects.filter(cart_id=guest_cart_id, customer=None, partner=None).first()
    if guest is None or guest.status != Cart.Status.OPEN:
        return None
    view = cart_view(cart=guest)
    target = cart_for_customer(customer=customer)
    merged = None
    if view.lines:
        lines = [LineInput(sku=line.sku, quantity=line.quantity) for line in view.lines]
        merged = _mutate(target, CartWorkflow.merge, MergeInput(source_cart_id=guest.cart_id, lines=lines))
    try:
        temporal.execute_update(
            cart_workflow_id(guest.cart_id), CartWorkflow.close, CloseInput(reason="merged"), result_type=CartView
        )
    except NotFound:
        # Never started, so there is no workflow to close; the row is the cart's only record.
        Cart.objects.filter(pk=guest.pk, status=Cart.Status.OPEN).update(status=Cart.Status.MERGED)
    return merged


def cart_checkout_close(*, cart_id: str, idempotency_key: str, order: OrderRequest | None = None) -> CartContents:
    """The order hand-off: re-price, close the cart and return its final contents, exactly once. With ``order``
    the workflow also prices and starts the cart's order before it closes the cart (one durable step).

    The same ``idempotency_key`` again returns the same contents (also after the workflow has ended: the
    row keeps them); another key on a checked-out cart raises ``CartCheckedOut``; an empty cart ``CartEmpty``.
    The caller is responsible for ownership (use a ``cart_get_for_*`` selector first).
    """
    cart = Cart.objects.filter(cart_id=cart_id).first()
    if cart is None:
        raise NotFound("No cart with that id.")
    if cart.status != Cart.Status.OPEN:
        return _recorded_checkout(cart, idempotency_key)
    try:
        return temporal.execute_update(
            cart_workflow_id(cart.cart_id),
            CartWorkflow.checkout,
            CheckoutInput(idempotency_key=idempotency_key, order=order),
            result_type=CartContents,
        )
    except NotFound:
        cart.refresh_from_db()
        if cart.status != Cart.Status.OPEN:  # the workflow finished between our read and the update
            return _recorded_checkout(cart, idempotency_key)
        raise CartEmpty() from None  # no workflow was ever started: nothing was ever added


def _recorded_checkout(cart: Cart, idempotency_key: str) -> CartContents:
    if cart.status == Cart.Status.CHECKED_OUT:
        if cart.checkout_key == idempotency_key and cart.checkout_contents:
            return contents_from_json(cart.checkout_contents)
        raise CartCheckedOut()
    domain.ensure_open(cart.status)
    raise CartCheckedOut()


def contents_from_json(data: dict[str, Any]) -> CartContents:
    return CartContents(
        cart_id=data["cart_id"],
        currency=data["currency"],
        lines=[CartLine(**line) for line in data["lines"]],
        subtotal=data["subtotal"],
        voucher_code=data.get("voucher_code", ""),  # contents recorded before vouchers have none
    )


# --- called by the workflow's activities -------------------------------------------------------------------


def cart_record_status(
    *, cart_id: str, status: str, checkout_key: str | None = None, contents: CartContents | None = None
) -> None:
    """Record that the workflow closed the cart. Idempotent: only an open row changes."""
    fields: dict[str, Any] = {"status": status, "updated_at": timezone.now()}
    if status == Cart.Status.CHECKED_OUT:
        fields.update(
            checkout_key=checkout_key or "", checkout_contents=dataclasses.asdict(contents) if contents else None
        )
    Cart.objects.filter(cart_id=cart_id, status=Cart.Status.OPEN).update(**fields)


def cart_price_skus(*, skus: list[str]) -> list[dict[str, Any]]:
    """Server-side name, price and sellable stock per SKU, as the workflow needs them (unknown: absent)."""
    snapshots = variant_snapshots(skus)
    return [
        {
            "sku": snap.sku,
            "name": snap.name,
            "unit_price": format_amount(snap.price, snap.currency),
            "currency": snap.currency,
            "available": snap.available,
            "is_active": snap.is_active,
        }
        for snap in snapshots.values()
    ]
