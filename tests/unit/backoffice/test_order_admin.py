"""The order list, detail, dashboard and export without Temporal: query counts, read-only, unavailable messages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, OrderEvent
from tests.unit.backoffice.factories import bulk_orders

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in() -> Client:
    user = User.objects.create_superuser("boss", "boss@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


def test_order_list_of_100_orders_has_no_n_plus_one(admin_client_logged_in, django_assert_max_num_queries) -> None:
    bulk_orders(100, lines_per_order=3)
    url = reverse("admin:orders_order_changelist")
    with django_assert_max_num_queries(8) as captured:
        response = admin_client_logged_in.get(url)
    assert response.status_code == 200
    assert response.content.count(b'class="action-select"') == 100
    assert b"O-T000000099" in response.content
    # the same page with 10 orders costs the same number of queries
    Order.objects.filter(number__gte="O-T000000010").delete()
    with django_assert_max_num_queries(len(captured)):
        assert admin_client_logged_in.get(url).status_code == 200


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=O-T000000007", {"O-T000000007"}),
        ("q=buyer12%40example.com", {"O-T000000012"}),
        ("q=ext-13", {"O-T000000013"}),
        ("status__exact=shipped", {"O-T000000002", "O-T000000008", "O-T000000014"}),
    ],
)
def test_order_list_search_and_filters(admin_client_logged_in, query: str, expected: set[str]) -> None:
    bulk_orders(18)
    response = admin_client_logged_in.get(reverse("admin:orders_order_changelist") + "?" + query)
    shown = {order.number for order in response.context["cl"].result_list}
    assert shown == expected


def test_search_by_sku_lists_each_order_once(admin_client_logged_in) -> None:
    orders = bulk_orders(3, lines_per_order=2)
    orders[1].lines.filter(position=2).update(sku="RARE-1")
    response = admin_client_logged_in.get(reverse("admin:orders_order_changelist") + "?q=RARE-1")
    assert [o.number for o in response.context["cl"].result_list] == [orders[1].number]
    response = admin_client_logged_in.get(reverse("admin:orders_order_changelist") + "?q=SKU-1")
    assert len(response.context["cl"].result_list) == 3


def test_detail_is_read_only_and_says_when_temporal_is_unavailable(admin_client_logged_in, temporal_down) -> None:
    order = bulk_orders(1, lines_per_order=2)[0]
    url = reverse("admin:orders_order_change", args=[order.pk])
    response = admin_client_logged_in.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Temporal is unavailable" in body
    assert f"/namespaces/default/workflows/order-{order.number}" in body
    assert 'name="status"' not in body  # no editable status field
    assert "SKU-2" in body and "created" in body  # lines and timeline
    # a POST to the change form cannot change a status either
    admin_client_logged_in.post(url, {"status": "delivered"})
    order.refresh_from_db()
    assert order.status == "created"


def test_dashboard_counts_and_query_count(admin_client_logged_in, temporal_down, django_assert_max_num_queries) -> None:
    bulk_orders(100)
    # 10 for the order panels, +2 for returns (refunds this week and returns awaiting staff: one query; goodwill
    # refunds: one), whatever the number of orders or returns.
    with django_assert_max_num_queries(12):
        response = admin_client_logged_in.get(reverse("admin:orders_order_dashboard"))
    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    week = {row["status"]: row["week"] for row in dashboard.status_rows}
    assert sum(week.values()) == Order.objects.filter(created_at__gte=dashboard.week_start).count()
    revenue = {row["currency"]: row["week"] for row in dashboard.revenue_rows}
    paid = Order.objects.filter(
        created_at__gte=dashboard.week_start, status__in=["confirmed", "shipped", "delivered"], currency="EUR"
    ).count()
    assert str(revenue["EUR"]) == str(Decimal("14.90") * paid)
    assert b"Temporal is unavailable" in response.content


def test_sla_filter_and_dashboard_list_flagged_orders(admin_client_logged_in, temporal_down) -> None:
    orders = bulk_orders(4)
    Order.objects.filter(pk=orders[1].pk).update(sla_breached_status="confirmed", sla_breached_at=timezone.now())
    listing = admin_client_logged_in.get(reverse("admin:orders_order_changelist") + "?sla=breached")
    assert [o.number for o in listing.context["cl"].result_list] == [orders[1].number]
    dashboard = admin_client_logged_in.get(reverse("admin:orders_order_dashboard")).context["dashboard"]
    assert dashboard.sla_flagged_count == 1 and dashboard.sla_flagged[0].number == orders[1].number


def test_admin_index_links_the_dashboard(admin_client_logged_in) -> None:
    response = admin_client_logged_in.get(reverse("admin:index"))
    assert reverse("admin:orders_order_dashboard").encode() in response.content


def test_dashboard_lists_compensations_that_did_not_finish(admin_client_logged_in, temporal_down) -> None:
    stuck, finished, fresh = bulk_orders(3)
    long_ago = timezone.now() - timedelta(minutes=30)
    Order.objects.filter(pk__in=[stuck.pk, fresh.pk]).update(status="created")
    Order.objects.filter(pk=finished.pk).update(status="cancelled")
    for order, at in [(stuck, long_ago), (finished, long_ago), (fresh, timezone.now())]:
        OrderEvent.objects.create(order=order, type="step_failed", at=at, actor="system", idempotency_key=f"{order}:sf")
    response = admin_client_logged_in.get(reverse("admin:orders_order_dashboard"))
    assert [o.number for o in response.context["dashboard"].stuck_compensations] == [stuck.number]
    assert stuck.number.encode() in response.content
