"""The dashboard counts refunds (net revenue) and shows the returns that wait for staff, from read-model rows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from backoffice.selectors import dashboard_data
from returns.models import GoodwillRefund, Return
from tests.unit.reports.test_top_products import order

pytestmark = pytest.mark.django_db


def a_return(placed, status: str, refunded: str = "0") -> Return:  # type: ignore[no-untyped-def]
    now = timezone.now()
    return Return.objects.create(
        id=f"R-{status}-{placed.pk}",
        order=placed,
        status=status,
        reason="other",
        currency="EUR",
        refund_amount=Decimal(refunded),
        refunded_amount=Decimal(refunded),
        requested_by="test",
        created_at=now,
        updated_at=now,
    )


def test_dashboard_nets_refunds_against_revenue_and_counts_returns_awaiting_staff() -> None:
    first = order("delivered", [("CAP", 4, "10.00")])
    second = order("delivered", [("TEE", 2, "10.00")])
    a_return(first, "refunded", "12.50")
    a_return(second, "requested")
    a_return(first, "approved")
    a_return(second, "cancelled")
    GoodwillRefund.objects.create(
        key="k1",
        order=second,
        amount=Decimal("2.00"),
        currency="EUR",
        reason="sorry",
        actor="staff:a",
        refunded_at=timezone.now(),
    )
    GoodwillRefund.objects.create(  # asked for, never applied: not counted
        key="k2", order=second, amount=Decimal("5.00"), currency="EUR", reason="sorry", actor="staff:a"
    )
    data = dashboard_data()
    assert data.returns_awaiting == {"approved": 1, "requested": 1}
    assert data.refund_rows == [{"currency": "EUR", "week": Decimal("14.50"), "net": Decimal("45.50")}]
