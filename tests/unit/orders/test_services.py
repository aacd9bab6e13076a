from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client

from oms_project.errors import InvalidInput
from orders import services
from orders.contracts import ApplyInput, EventInput
from orders.errors import CurrencyMismatch, InvalidQuantity, TooManyLines, UnknownSku
from orders.models import Order, OrderEvent
from partners.models import Partner
from tests.integration.orders.helpers import order_body, seed_sku

pytestmark = pytest.mark.django_db


def prepare(lines, **overrides):  # type: ignore[no-untyped-def]
    body = order_body("unused")
    args = {
        "partner": Partner.objects.get_or_create(name="p")[0],
        "channel": "api",
        "lines": lines,
        "contact": body["customer"],
        "shipping_address": body["shipping_address"],
        "delivery": None,
        "payment": body["payment"],
        "idempotency_key": "k",
        "actor": "t",
        **overrides,
    }
    return services.order_prepare(**args)


def test_prices_come_from_the_catalog_and_duplicates_merge() -> None:
    seed_sku("A", 5, price="2.50")
    inp = prepare([{"sku": "A", "quantity": 2}, {"sku": "A", "quantity": 1}])
    assert [(line.sku, line.quantity, line.unit_price, line.line_total) for line in inp.lines] == [
        ("A", 3, "2.50", "7.50")
    ]
    assert (inp.subtotal, inp.shipping, inp.total, inp.currency) == ("7.50", "4.90", "12.40", "EUR")
    assert inp.number == services.order_number_for("k") and len(inp.number) == 14


@pytest.mark.parametrize("quantity", [0, -1, 1000, "2", 1.5, True])
def test_quantity_must_be_a_whole_number_from_1_to_999(quantity) -> None:  # type: ignore[no-untyped-def]
    seed_sku("A", 5)
    with pytest.raises(InvalidQuantity):
        prepare([{"sku": "A", "quantity": quantity}])


def test_unknown_inactive_mixed_currency_and_too_many_lines_are_refused() -> None:
    seed_sku("A", 5)
    inactive = seed_sku("B", 5)
    inactive.is_active = False
    inactive.save()
    seed_sku("C", 5, currency="USD")
    with pytest.raises(UnknownSku) as unknown:
        prepare([{"sku": "A", "quantity": 1}, {"sku": "Z", "quantity": 1}])
    assert unknown.value.field == "lines[1].sku"
    with pytest.raises(UnknownSku):
        prepare([{"sku": "B", "quantity": 1}])
    with pytest.raises(CurrencyMismatch):
        prepare([{"sku": "A", "quantity": 1}, {"sku": "C", "quantity": 1}])
    with pytest.raises(TooManyLines):
        prepare([{"sku": f"S{i}", "quantity": 1} for i in range(101)])
    with pytest.raises(InvalidInput):
        prepare([], idempotency_key="empty")


def test_record_and_apply_are_idempotent_and_follow_the_transition_table() -> None:
    seed_sku("A", 5)
    inp = prepare([{"sku": "A", "quantity": 1}])
    services.order_record(inp=inp)
    services.order_record(inp=inp)
    order = Order.objects.get(number=inp.number)
    assert order.lines.count() == 1 and order.events.count() == 1

    confirm = ApplyInput(
        number=inp.number,
        idempotency_key="w1",
        actor="system",
        at=inp.placed_at,
        events=[EventInput("confirmed")],
        status="confirmed",
    )
    services.order_apply(inp=confirm)
    services.order_apply(inp=confirm)  # a replayed activity
    assert OrderEvent.objects.filter(order=order, type="confirmed").count() == 1
    backwards = ApplyInput(
        number=inp.number,
        idempotency_key="w2",
        actor="system",
        at=inp.placed_at,
        events=[EventInput("x")],
        status="created",
    )
    with pytest.raises(Exception, match="not allowed"):
        services.order_apply(inp=backwards)
    order.refresh_from_db()
    assert order.status == "confirmed" and order.total == Decimal("17.40")


def test_admin_lists_and_shows_orders() -> None:
    seed_sku("A", 5)
    inp = prepare([{"sku": "A", "quantity": 1}])
    services.order_record(inp=inp)
    admin = User.objects.create_superuser("admin", "a@example.com", "pw")
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/orders/order/").status_code == 200
    pk = Order.objects.get(number=inp.number).pk
    page = client.get(f"/admin/orders/order/{pk}/change/")
    assert page.status_code == 200 and inp.number.encode() in page.content
