"""Delivery providers: the interface the order saga talks to, and the built-in sandbox implementation.

``settings.DELIVERY_PROVIDER`` names the class. A real carrier integration implements ``DeliveryProvider``;
both calls take an idempotency key and must be safe to repeat (activities retry and replay).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class DeliveryRequest:
    order_number: str
    priority: str
    country: str
    postal_code: str


@dataclass(frozen=True)
class DeliveryReceipt:
    reference: str
    provider: str


class DeliveryProvider(Protocol):
    name: str

    def request(self, request: DeliveryRequest, *, idempotency_key: str) -> DeliveryReceipt: ...

    def cancel(self, order_number: str, *, idempotency_key: str) -> None: ...


class SandboxDeliveryProvider:
    """Accepts every request and keeps its own table; the same order always gets the same reference."""

    name = "sandbox"

    def request(self, request: DeliveryRequest, *, idempotency_key: str) -> DeliveryReceipt:
        from orders.models import SandboxDelivery

        reference = "D-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16].upper()
        # get_or_create alone: called in autocommit (the activity), its own atomic block is the transaction, and
        # a concurrent insert of the same order (unique order_number) is caught there and read back. Wrapping it
        # in another atomic block made that block a savepoint: two more statements per order (issue #19).
        row, _ = SandboxDelivery.objects.get_or_create(
            order_number=request.order_number,
            defaults={"reference": reference, "priority": request.priority},
        )
        return DeliveryReceipt(reference=row.reference, provider=self.name)

    def cancel(self, order_number: str, *, idempotency_key: str) -> None:
        from orders.models import SandboxDelivery

        # Cancelling a request that never arrived is a no-op (the compensation runs even if the step failed).
        SandboxDelivery.objects.filter(order_number=order_number).update(cancelled=True)


def delivery_provider() -> DeliveryProvider:
    return import_string(settings.DELIVERY_PROVIDER)()
