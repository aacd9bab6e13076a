"""The payment service provider (PSP) interface. ``payments.services`` talks only to this.

Every call carries an idempotency key: the provider must answer a repeated key with the first final answer
and never move money twice. A final business "no" is a ``ProviderResult`` with ``status="declined"``; an
answer that did not come (timeout, 5xx, network) is a ``ProviderUnavailable`` exception, retried with the
same key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

SUCCEEDED = "succeeded"
DECLINED = "declined"


class ProviderUnavailable(Exception):
    """No final answer; safe to retry with the same idempotency key (a plain exception: Temporal retries)."""


@dataclass(frozen=True)
class ProviderResult:
    status: str  # SUCCEEDED | DECLINED
    authorization_id: str = ""
    decline_reason: str = ""
    expires_at: datetime | None = None  # authorize only

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCEEDED


class PaymentProvider(Protocol):
    name: str

    def authorize(
        self, *, idempotency_key: str, order_number: str, amount: Decimal, currency: str, token: str
    ) -> ProviderResult: ...

    def find_authorization(self, *, idempotency_key: str) -> ProviderResult | None:
        """The final answer an earlier authorize with this key got, or None (never answered / never seen)."""
        ...

    def increment(
        self, *, idempotency_key: str, authorization_id: str, amount: Decimal, currency: str
    ) -> ProviderResult:
        """Raise the authorization by ``amount`` (an order edit); declined like an authorize."""
        ...

    def capture(
        self, *, idempotency_key: str, authorization_id: str, amount: Decimal, currency: str, final: bool = False
    ) -> ProviderResult:
        """Capture ``amount`` of the authorization; several captures may follow one another until their sum
        reaches what is authorized. ``final`` releases what stays uncaptured (no capture after it)."""
        ...

    def void(self, *, idempotency_key: str, authorization_id: str) -> ProviderResult: ...

    def refund(self, *, idempotency_key: str, authorization_id: str, amount: Decimal, currency: str) -> ProviderResult:
        """Refund ``amount`` of what was captured; several refunds, together at most the captures."""
        ...


def get_provider() -> PaymentProvider:
    """The configured provider (``PAYMENT_PROVIDER``: a dotted path to a class; default the sandbox)."""
    return import_string(settings.PAYMENT_PROVIDER)()
