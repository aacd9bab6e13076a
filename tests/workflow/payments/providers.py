"""Payment providers as real PSPs behave, for tests that configure them with ``PAYMENT_PROVIDER``: the sandbox's
books and answers, plus what the sandbox does not show (a silent wait, a look at the row lock during the call)."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

from django.db import DatabaseError, connections, transaction

from payments.models import Payment
from payments.providers import ProviderResult
from payments.sandbox import SandboxProvider


class SilentSlowProvider(SandboxProvider):
    """Answers after ``seconds`` and never heartbeats (it knows nothing of Temporal)."""

    name = "silent-slow"
    seconds = 3.5  # longer than the 2 s heartbeat timeout of the test workflows

    def authorize(
        self, *, idempotency_key: str, order_number: str, amount: Decimal, currency: str, token: str
    ) -> ProviderResult:
        time.sleep(self.seconds)
        return super().authorize(
            idempotency_key=idempotency_key, order_number=order_number, amount=amount, currency=currency, token=token
        )


class LockProbingProvider(SandboxProvider):
    """Records, for every ``find_authorization``, whether another session could lock the order's payment row
    meanwhile (``Payment`` rows are locked by the services; a provider call must never run under that lock)."""

    name = "lock-probing"
    row_was_locked: list[bool] = []  # one probe list, reset by the test that configures the class

    def find_authorization(self, *, idempotency_key: str) -> ProviderResult | None:
        payment = Payment.objects.filter(authorize_key=idempotency_key).first()
        if payment is not None:
            type(self).row_was_locked.append(_locked_elsewhere(payment.pk))
        return super().find_authorization(idempotency_key=idempotency_key)


def _locked_elsewhere(pk: int) -> bool:
    """Try the row lock from another thread (another database session), without waiting."""
    outcome: list[bool] = []

    def probe() -> None:
        try:
            with transaction.atomic():
                Payment.objects.select_for_update(nowait=True).filter(pk=pk).first()
            outcome.append(False)
        except DatabaseError:
            outcome.append(True)
        finally:
            connections.close_all()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join(timeout=30)
    return outcome == [True]
