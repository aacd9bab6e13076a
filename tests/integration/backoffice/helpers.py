"""Orders for back-office integration tests, placed through the orders services (real workflow)."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import User
from django.test import Client

from orders import services
from partners.models import Partner
from tests.integration.orders.helpers import order_arguments, order_body, seed_sku, wait_for
from tests.unit.backoffice.factories import staff_user


def place_confirmed_order(sku: str, *, on_hand: int = 5, token: str = "pm_card_ok", seed: bool = True) -> str:
    if seed:
        seed_sku(sku, on_hand=on_hand)
    partner, _ = Partner.objects.get_or_create(name="Shop")
    body = order_body(sku, quantity=1, token=token)
    order = services.order_place(
        partner=partner,
        channel="api",
        **order_arguments(body),
        idempotency_key=f"backoffice-{uuid.uuid4().hex}",
        actor="partner:shop",
    )
    wait_for(order.number, {"confirmed"})
    return order.number


def staff_client(group: str) -> tuple[Client, User]:
    user = staff_user(group, username=f"{group}-{uuid.uuid4().hex[:6]}")
    client = Client()
    client.force_login(user)
    return client, user
