"""Read-model rows for admin tests that need many orders but no workflow (lists, counts, export).

Tests of the actions create orders through the orders services instead (tests/integration/backoffice/).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.utils import timezone

from backoffice.permissions import staff_groups_setup
from orders.models import Order, OrderEvent, OrderLine
from partners.models import Partner

STATUSES = ["created", "confirmed", "shipped", "delivered", "cancelled", "failed"]


def bulk_orders(count: int, *, lines_per_order: int = 2, now: datetime | None = None, prefix: str = "T") -> list[Order]:
    now = now or timezone.now()
    partner, _ = Partner.objects.get_or_create(name="Shop")
    orders = [
        Order(
            number=f"O-{prefix}{index:09d}",
            partner=partner,
            channel="api",
            external_ref=f"ext-{index}",
            status=STATUSES[index % len(STATUSES)],
            currency="EUR" if index % 3 else "USD",
            subtotal=Decimal("10.00"),
            shipping=Decimal("4.90"),
            total=Decimal("14.90"),
            contact_email=f"buyer{index}@example.com",
            contact_name="=HYPERLINK(1)" if index == 0 else f"Buyer {index}",
            ship_name="Buyer",
            ship_line1="1 Main St",
            ship_city="Berlin",
            ship_postal_code="10115",
            ship_country="DE",
            payment_method="card",
            created_at=now - timedelta(minutes=index),
            updated_at=now,
        )
        for index in range(count)
    ]
    created = Order.objects.bulk_create(orders, batch_size=1000)
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                position=position,
                sku=f"SKU-{position}",
                name="Thing",
                unit_price=Decimal("5.00"),
                quantity=1,
                line_total=Decimal("5.00"),
            )
            for order in created
            for position in range(1, lines_per_order + 1)
        ],
        batch_size=2000,
    )
    OrderEvent.objects.bulk_create(
        [
            OrderEvent(
                order=order, type="created", at=order.created_at, actor="test", idempotency_key=f"{order.number}:c"
            )
            for order in created
        ],
        batch_size=2000,
    )
    return created


def staff_user(group: str | None, username: str | None = None) -> User:
    """A staff member in one of the setup_staff_groups groups (or none, with group=None)."""
    staff_groups_setup()
    user = User.objects.create_user(username=username or f"staff-{group}", password="pw", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user
