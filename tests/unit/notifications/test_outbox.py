"""The e-mail outbox on the real database and a real SMTP server (aiosmtpd): one e-mail per order event whatever
the replays, sent once, rendered with the order summary and the right link."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from customers.models import Customer
from notifications import services
from notifications.models import Email
from orders.contracts import EventInput
from orders.lookup import order_lookup_path
from orders.models import OrderEvent
from tests.integration.notifications.helpers import apply, recorded_order
from tests.smtp_sink import parts, smtp_sink
from tests.temporal_env import settings_override

pytestmark = pytest.mark.django_db


def test_each_mailed_event_records_one_email_in_the_order_write_and_a_replay_records_none() -> None:
    order = recorded_order("outbox-1")
    assert not Email.objects.exists()  # "created" sends nothing
    confirm = ("w1", EventInput("delivery_requested", {}), EventInput("confirmed", {}))
    apply(order, *confirm, status="confirmed", payment_status="authorized")
    apply(order, *confirm, status="confirmed", payment_status="authorized")  # the activity replayed
    ship = (
        "w2",
        EventInput("payment_captured", {}),
        EventInput("shipped", {"carrier": "DHL", "tracking_number": "T1"}),
    )
    apply(order, *ship, status="shipped", payment_status="captured")
    apply(order, *ship, status="shipped", payment_status="captured")
    emails = list(Email.objects.order_by("pk").values_list("kind", "to", "status", "event__type"))
    assert emails == [
        ("confirmed", "ada@example.com", "pending", "confirmed"),
        ("shipped", "ada@example.com", "pending", "shipped"),
    ]
    # Called again with the same events (as a replayed write does): the same rows, nothing new.
    again = services.emails_record_for_order_events(order=order, events=list(order.events.all()))
    assert sorted(again) == sorted(Email.objects.values_list("pk", flat=True))


def test_the_email_row_commits_or_rolls_back_with_the_order_write() -> None:
    order = recorded_order("outbox-2")
    with pytest.raises(RuntimeError), transaction.atomic():
        event = OrderEvent.objects.create(
            order=order, type="confirmed", at=order.created_at, actor="t", idempotency_key="x"
        )
        assert services.emails_record_for_order_events(order=order, events=[event])  # recorded, pending
        raise RuntimeError("the rest of the order write fails")
    assert not Email.objects.exists()


def test_a_sent_email_is_never_sent_again_and_carries_its_own_message_id() -> None:
    order = recorded_order("outbox-3")
    apply(order, "w1", EventInput("confirmed", {}), status="confirmed", payment_status="authorized")
    email = Email.objects.get()
    sender = "Northwind Goods <shop@northwind.example>"
    with smtp_sink() as sink, settings_override(**sink.settings(), DEFAULT_FROM_EMAIL=sender):
        assert services.email_send(email_id=email.pk) is True
        assert services.email_send(email_id=email.pk) is False  # a retried activity after the mark
    [message] = sink.received()
    email.refresh_from_db()
    assert (email.status, email.attempts, email.subject) == ("sent", 1, f"Your order {order.number} is confirmed")
    assert message["Subject"] == email.subject and order.number in message["Subject"]
    assert message["Message-ID"] == f"<oms-email-{email.pk}@northwind.example>" and message["From"] == sender
    assert message["To"] == "ada@example.com"
    text, html = parts(message)
    for body in (text, html):
        assert "40.00 EUR" in body and "44.90 EUR" in body  # subtotal and total (2 x 20.00 + 4.90 shipping)
        assert "4.90 EUR" in body and "1 Main St" in body
    assert "<table" in html and "<table" not in text


def test_a_mail_server_that_is_down_leaves_the_email_pending_with_the_error() -> None:
    order = recorded_order("outbox-4")
    apply(order, "w1", EventInput("confirmed", {}), status="confirmed")
    email = Email.objects.get()
    with smtp_sink() as sink:
        port = sink.port
    with settings_override(**{**sink.settings(), "EMAIL_PORT": port}), pytest.raises(ConnectionRefusedError):
        services.email_send(email_id=email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("pending", 1) and "ConnectionRefusedError" in email.last_error


def test_guests_get_their_signed_link_customers_their_account_page_and_a_failure_says_nothing_was_charged() -> None:
    guest = recorded_order("outbox-5")
    apply(
        guest,
        "w1",
        EventInput("failed", {}),
        status="failed",
        failure_reason="payment_declined",
        payment_status="failed",
    )
    user = User.objects.create_user("cust", "cust@example.com", "pw")
    customer = recorded_order("outbox-6", customer=Customer.objects.create(user=user))
    apply(customer, "w1", EventInput("confirmed", {}), status="confirmed", payment_status="authorized")
    apply(customer, "w2", EventInput("cancelled", {}), status="cancelled", cancel_reason="x", payment_status="voided")
    with smtp_sink() as sink, settings_override(**sink.settings(), SITE_URL="https://shop.example.com"):
        for email in Email.objects.order_by("pk"):
            services.email_send(email_id=email.pk)
    failed, confirmed, cancelled = sink.received()
    failed_text, failed_html = parts(failed)
    assert failed["Subject"] == f"Your order {guest.number} could not be placed"
    assert "Your card was declined." in failed_text and "Nothing was charged." in failed_text
    assert f"https://shop.example.com{order_lookup_path(number=guest.number)}" in failed_text
    assert "Nothing was charged." in failed_html
    for message in (confirmed, cancelled):
        assert f"https://shop.example.com/account/orders/{customer.number}/" in parts(message)[0]
    assert "the hold on your card has been released" in parts(cancelled)[0]


def test_shipped_email_names_carrier_and_tracking_number() -> None:
    order = recorded_order("outbox-7")
    apply(order, "w1", EventInput("confirmed", {}), status="confirmed", payment_status="authorized")
    tracking = {"carrier": "DHL Express", "tracking_number": "JD014600003828"}
    apply(order, "w2", EventInput("shipped", tracking), status="shipped", payment_status="captured", tracking=tracking)
    shipped = Email.objects.get(kind="shipped")
    with smtp_sink() as sink, settings_override(**sink.settings()):
        services.email_send(email_id=shipped.pk)
    text, html = parts(sink.received()[0])
    for body in (text, html):
        assert "DHL Express" in body and "JD014600003828" in body and "44.90 EUR" in body


def test_resend_adds_a_row_for_a_sent_email_and_reuses_a_pending_one() -> None:
    order = recorded_order("outbox-8")
    apply(order, "w1", EventInput("confirmed", {}), status="confirmed")
    email = Email.objects.get()
    assert services.email_resend(email_id=email.pk, actor="staff:ann").pk == email.pk  # still pending
    Email.objects.filter(pk=email.pk).update(status="sent")
    again = services.email_resend(email_id=email.pk, actor="staff:ann")
    assert again.pk != email.pk and (again.resend_of_id, again.status, again.requested_by) == (
        email.pk,
        "pending",
        "staff:ann",
    )
    assert again.event_id == email.event_id and Email.objects.count() == 2
