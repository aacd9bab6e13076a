"""Line shares on the read model: recorded with the order, backfilled for older rows, shown in the order body."""

from __future__ import annotations

import importlib
from dataclasses import replace
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.test import override_settings

from orders import services
from orders.bodies import order_body
from orders.models import Order, OrderLine
from partners.models import Partner
from tests.integration.orders.helpers import order_body as order_request
from tests.integration.orders.helpers import seed_sku

pytestmark = pytest.mark.django_db

backfill = importlib.import_module("orders.migrations.0007_line_shares").backfill_line_shares


def _record(key: str, *, strip_shares: bool = False) -> Order:
    seed_sku(f"{key}-A", 10, price="10.00")
    seed_sku(f"{key}-B", 10, price="3.33")
    request = order_request(f"{key}-A")
    inp = services.order_prepare(
        partner=Partner.objects.create(name=key),
        channel="api",
        lines=[{"sku": f"{key}-A", "quantity": 1}, {"sku": f"{key}-B", "quantity": 3}],
        contact=request["customer"],
        shipping_address=request["shipping_address"],
        delivery=None,
        payment=request["payment"],
        idempotency_key=key,
        actor="partner:test",
    )
    if strip_shares:  # an input recorded by a history from before line shares existed
        inp = replace(inp, lines=[replace(line, discount="", tax="", total="") for line in inp.lines])
    services.order_record(inp=inp)
    return Order.objects.get(number=inp.number)


def _assert_lines_add_up(order: Order) -> None:
    lines = list(order.lines.order_by("position"))
    assert sum(line.total for line in lines) + order.shipping == order.total
    assert sum(line.tax for line in lines) == order.tax
    assert sum(line.discount for line in lines) == order.discount
    for line in lines:
        assert line.total == line.line_total - line.discount + line.tax


@override_settings(ORDER_TAX_RATE="0.19")
def test_recorded_lines_carry_their_shares_and_add_up_to_the_total() -> None:
    order = _record("shares")
    assert order.tax == Decimal("4.73")  # (19.99 + 4.90) * 0.19 = 4.7291
    _assert_lines_add_up(order)
    body = order_body(order.number)
    assert [line["tax"] for line in body["lines"]] == ["2.37", "2.36"]  # 4.73 * 10/19.99 = 2.366 -> 2.37
    assert [line["total"] for line in body["lines"]] == ["12.37", "12.35"]


@override_settings(ORDER_TAX_RATE="0.19")
def test_an_input_without_shares_is_split_when_recorded() -> None:
    _assert_lines_add_up(_record("old-input", strip_shares=True))


@override_settings(ORDER_TAX_RATE="0.19")
def test_the_migration_backfills_existing_rows() -> None:
    order = _record("backfill")
    OrderLine.objects.filter(order=order).update(discount=0, tax=0, total=0)
    backfill(django_apps, None)
    _assert_lines_add_up(order)
    assert OrderLine.objects.filter(order=order, tax=0).count() == 0
