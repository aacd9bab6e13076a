"""A payment provider is never called while the payment row is locked (issue #13: a slow PSP would hold the
lock, and every other step of the order would queue behind it)."""

from __future__ import annotations

import pytest

from payments.models import Payment
from payments.providers import ProviderUnavailable
from payments.services import payment_authorize, payment_void
from tests.temporal_env import settings_override
from tests.workflow.payments.providers import LockProbingProvider

pytestmark = pytest.mark.django_db(transaction=True)  # the probe locks from another session


def test_the_void_of_a_pending_payment_asks_the_provider_outside_the_row_lock() -> None:
    with settings_override(SANDBOX_FLAKY_FAILURES=1), pytest.raises(ProviderUnavailable):
        # The attempt's answer never arrived: the payment stays pending; did the PSP authorize it after all?
        payment_authorize(
            order_number="L-1", amount="10.00", currency="EUR", method="card", token="pm_card_flaky",
            idempotency_key="order-L-1:auth",
        )  # fmt: skip
    assert Payment.objects.get(order_number="L-1").status == "pending"
    LockProbingProvider.row_was_locked = []
    with settings_override(PAYMENT_PROVIDER="tests.workflow.payments.providers.LockProbingProvider"):
        result = payment_void(order_number="L-1", idempotency_key="order-L-1:void")

    assert LockProbingProvider.row_was_locked == [False]  # before: [True] (looked up under select_for_update)
    assert result.status == "voided" and Payment.objects.get(order_number="L-1").status == "voided"
