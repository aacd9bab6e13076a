"""The cart row's read model: a later mutation's view is never replaced by an earlier one answered late."""

from __future__ import annotations

import dataclasses

import pytest

from carts import services
from carts.contracts import CartView, CartViewLine
from carts.models import Cart
from carts.selectors import cart_view

pytestmark = pytest.mark.django_db


def _view(cart: Cart, version: int, quantity: int) -> CartView:
    line = CartViewLine(
        sku="TEE", name="Tee", quantity=quantity, unit_price="1.00", line_total=f"{quantity}.00", available=9
    )
    return CartView(
        cart_id=cart.cart_id,
        status="open",
        currency="EUR",
        lines=[line],
        item_count=quantity,
        subtotal=f"{quantity}.00",
        expires_at="2030-01-01T00:00:00+00:00",
        version=version,
    )


def test_a_new_cart_reads_empty_and_the_latest_version_wins() -> None:
    cart = services.cart_create_for_session(session_key="s" * 32)
    assert cart_view(cart=Cart.objects.get(pk=cart.pk)).lines == []
    services._record_view(cart, _view(cart, 2, quantity=2))
    services._record_view(Cart.objects.get(pk=cart.pk), _view(cart, 1, quantity=1))  # answered late
    stored = cart_view(cart=Cart.objects.get(pk=cart.pk))
    assert stored == _view(cart, 2, quantity=2)
    assert Cart.objects.get(pk=cart.pk).expires_at.year == 2030


def test_a_closed_cart_keeps_its_row() -> None:
    cart = services.cart_create_for_session(session_key="t" * 32)
    before = dataclasses.asdict(services.empty_view(cart))
    Cart.objects.filter(pk=cart.pk).update(status=Cart.Status.EXPIRED)
    services._record_view(cart, _view(cart, 3, quantity=3))
    assert Cart.objects.get(pk=cart.pk).view == before
