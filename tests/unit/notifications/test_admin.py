"""The admin shows an order's e-mails with their status and sends one again through the outbox."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client

from notifications.models import Email
from tests.integration.notifications.helpers import confirmed_order

pytestmark = pytest.mark.django_db


def staff(group: str) -> Client:
    call_command("setup_staff_groups", verbosity=0)
    user = User.objects.create_user(group, f"{group}@example.com", "pw", is_staff=True)
    user.groups.add(*Group.objects.filter(name=group))
    client = Client()
    client.force_login(user)
    return client


def test_the_order_page_lists_its_emails_and_support_sends_one_again() -> None:
    order = confirmed_order("admin-1")
    email = Email.objects.get()
    Email.objects.filter(pk=email.pk).update(status="failed", last_error="SMTPServerDisconnected: gone")
    support = staff("support")

    page = support.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "customer e-mails" in page.lower() and "SMTPServerDisconnected: gone" in page
    assert f"/admin/notifications/email/?order__id__exact={order.pk}" in page

    listing = support.get(f"/admin/notifications/email/?order__id__exact={order.pk}&status__exact=failed")
    assert listing.status_code == 200 and "ada@example.com" in listing.content.decode()
    done = support.post(
        "/admin/notifications/email/", {"action": "send_again", "_selected_action": [email.pk]}, follow=True
    )
    assert "Sending 1 e-mail(s) again" in done.content.decode()
    again = Email.objects.exclude(pk=email.pk).get()
    assert (again.resend_of_id, again.status, again.requested_by) == (email.pk, "pending", "staff:support")


def test_staff_without_the_permission_cannot_resend() -> None:
    confirmed_order("admin-2")
    email = Email.objects.get()
    warehouse = staff("warehouse")
    assert warehouse.get("/admin/notifications/email/").status_code == 403
    warehouse.post("/admin/notifications/email/", {"action": "send_again", "_selected_action": [email.pk]})
    assert Email.objects.count() == 1
