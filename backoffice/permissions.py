"""Staff permissions of the back office: custom permissions on Order and the staff groups.

The custom permissions are created by a post_migrate handler of this app rather than ``Order.Meta.permissions``,
so the orders app needs no migration for them (ADR 0080).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

CANCEL_ORDER = "cancel_order"
SHIP_ORDER = "ship_order"
RECORD_DELIVERY_EVENT = "record_delivery_event"

ORDER_PERMISSIONS: dict[str, str] = {
    CANCEL_ORDER: "Can cancel orders (runs the compensations)",
    SHIP_ORDER: "Can confirm shipment of orders (captures the payment)",
    RECORD_DELIVERY_EVENT: "Can record delivery events of orders",
}

# The project's own apps: "manager" gets every permission on their models.
OMS_APPS = [
    "catalog",
    "customers",
    "partners",
    "payments",
    "carts",
    "orders",
    "webhooks",
    "notifications",
    "reports",
    "returns",
]

SUPPORT = "support"
WAREHOUSE = "warehouse"
MANAGER = "manager"

GROUP_PERMISSIONS: dict[str, list[str]] = {
    SUPPORT: [
        "orders.view_order",
        "orders.view_orderline",
        "orders.view_orderevent",
        f"orders.{CANCEL_ORDER}",
        "customers.view_customer",
        "customers.view_address",
        "payments.view_payment",
        "webhooks.view_webhookdelivery",
        "notifications.view_email",
        "notifications.resend_email",  # "Send again" on a customer e-mail (docs/notifications.md)
        # Returns: approve / reject and goodwill refunds (each a step of the return's workflow; docs/returns.md).
        "returns.view_return",
        "returns.view_returnline",
        "returns.change_return",
    ],
    WAREHOUSE: [
        "orders.view_order",
        "orders.view_orderline",
        "orders.view_orderevent",
        f"orders.{SHIP_ORDER}",
        f"orders.{RECORD_DELIVERY_EVENT}",
        "catalog.view_product",
        "catalog.view_variant",
        "catalog.view_warehouse",
        "catalog.view_stocklevel",
        "catalog.change_stocklevel",  # the "Adjust stock" form (receive / correct / write off)
        "catalog.view_stockmovement",
        # Returns: receiving a parcel (per line: units and restock or write-off).
        "returns.view_return",
        "returns.view_returnline",
        "returns.change_return",
    ],
}


def order_permissions_ensure() -> list[Permission]:
    from orders.models import Order

    content_type = ContentType.objects.get_for_model(Order)
    permissions = []
    for codename, name in ORDER_PERMISSIONS.items():
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        permissions.append(permission)
    return permissions


def ensure_order_permissions_on_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    order_permissions_ensure()


def _permissions(labels: list[str]) -> list[Permission]:
    found = []
    for label in labels:
        app_label, codename = label.split(".", 1)
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


@transaction.atomic
def staff_groups_setup() -> dict[str, int]:
    """Create or reset the groups "support", "warehouse" and "manager"; returns permissions per group.

    Re-running puts each group back to exactly its listed permissions (idempotent).
    """
    order_permissions_ensure()
    result = {}
    for name, labels in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(_permissions(labels))
        result[name] = len(labels)
    manager, _ = Group.objects.get_or_create(name=MANAGER)
    everything = list(Permission.objects.filter(content_type__app_label__in=OMS_APPS))
    manager.permissions.set(everything)
    result[MANAGER] = len(everything)
    return result
