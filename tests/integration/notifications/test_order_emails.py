"""Order e-mails end to end: partner API / storefront service -> order workflow -> outbox row -> e-mail workflow on
its own task queue -> a real SMTP server (aiosmtpd). One e-mail per event, subject naming the order, text + HTML."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from notifications.activities import notifications_email_dispatch
from notifications.contracts import DispatchInput
from notifications.models import Email
from notifications.services import emails_record_for_order_events
from orders import services
from orders.lookup import order_lookup_path
from orders.models import OrderEvent
from tests.faults.processes import poll_until
from tests.integration.notifications.helpers import confirmed_order, pending_email, recorded_order
from tests.integration.orders.helpers import api_client, order_arguments, order_body, post_order, seed_sku, wait_for
from tests.smtp_sink import free_port, parts, smtp_sink
from tests.temporal_env import settings_override

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def test_confirmed_shipped_and_delivered_orders_each_email_the_customer_once(live_oms) -> None:
    seed_sku("MAIL-1", on_hand=5)
    shop = api_client()
    with smtp_sink() as sink, settings_override(**sink.settings()):
        created = post_order(shop, order_body("MAIL-1", quantity=2), key="mail-1")
        assert created.status_code == 201, created.content
        number = created.json()["number"]
        assert wait_for(number).status == "confirmed"
        services.order_ship(number=number, carrier="DHL", tracking_number="JD0001", actor="test")
        services.order_record_delivery_event(
            number=number, event_id="ev-1", status="delivered", occurred_at=datetime.now(UTC), actor="test"
        )
        messages = sink.wait_for(lambda got: len(got) >= 3, what="three e-mails")
        # A row is marked sent once the SMTP server has taken its message: the sink may hold it a moment earlier.
        poll_until(
            lambda: Email.objects.filter(order__number=number, status="sent").count() == 3,
            timeout=30,
            what="three e-mails marked sent",
        )
    # Each e-mail is sent on its own (one per event), so they may reach the server in any order.
    by_subject = {message["Subject"]: message for message in messages}
    assert sorted(by_subject) == sorted(
        [
            f"Your order {number} is confirmed",
            f"Your order {number} is on its way",
            f"Your order {number} has been delivered",
        ]
    )
    assert len(set(sink.message_ids())) == 3 and all(count == 1 for count in sink.message_ids().values())
    for message in messages:
        text, html = parts(message)
        assert message["To"] == "ada@example.com" and number in text and number in html
        assert "Total: 29.90 EUR" in text and "29.90 EUR" in html  # 2 x 12.50 + 4.90 shipping
    shipped_text, _ = parts(by_subject[f"Your order {number} is on its way"])
    assert "DHL" in shipped_text and "JD0001" in shipped_text


def test_a_guest_whose_card_is_declined_gets_one_failure_email_with_a_working_link(live_oms) -> None:
    seed_sku("MAIL-2", on_hand=5)
    body = order_body("MAIL-2", token="pm_card_declined")
    with smtp_sink() as sink, settings_override(**sink.settings(), SITE_URL="http://testserver"):
        order = services.order_place(channel="web", **order_arguments(body), idempotency_key="mail-2", actor="guest")
        assert wait_for(order.number).status == "failed"
        [message] = sink.wait_for(lambda got: len(got) >= 1, what="the failure e-mail")
    text, html = parts(message)
    assert message["Subject"] == f"Your order {order.number} could not be placed"
    assert "Your card was declined." in text and "Nothing was charged." in text and "Nothing was charged." in html
    link = f"http://testserver{order_lookup_path(number=order.number)}"
    assert link in text and link in html
    page = Client().get(link)
    assert page.status_code == 200 and order.number in page.content.decode()


def test_an_email_the_server_keeps_refusing_or_refuses_for_good_ends_failed_and_visible(live_oms) -> None:
    with smtp_sink() as sink:
        sink.refused_recipients = {"ada@example.com"}
        quick = {"EMAIL_RETRY_INITIAL_INTERVAL": timedelta(seconds=0.2), "EMAIL_GIVE_UP_AFTER": timedelta(seconds=3)}
        with settings_override(**sink.settings(), **quick):
            refused = confirmed_order(f"refused-{uuid.uuid4().hex[:8]}")  # 550: not retried
            poll_until(lambda: Email.objects.get(order=refused).status == "failed", timeout=30, what="refused")
            assert Email.objects.get(order=refused).attempts == 1
        with settings_override(**{**sink.settings(), "EMAIL_PORT": free_port()}, **quick):  # nobody listens
            unreachable = confirmed_order(f"down-{uuid.uuid4().hex[:8]}")
            poll_until(lambda: Email.objects.get(order=unreachable).status == "failed", timeout=60, what="gave up")
    gave_up = Email.objects.get(order=unreachable)
    assert gave_up.attempts >= 2 and "ConnectionRefusedError" in gave_up.last_error
    assert "550" in Email.objects.get(order=refused).last_error
    assert not sink.received()


def test_emails_resume_starts_an_email_whose_workflow_never_started(live_oms) -> None:
    stuck = pending_email(f"resume-{uuid.uuid4().hex[:8]}")  # its start failed after the commit: no workflow
    Email.objects.filter(pk=stuck.pk).update(created_at=stuck.created_at - timedelta(minutes=10))
    with smtp_sink() as sink, settings_override(**sink.settings()):
        out = io.StringIO()
        call_command("emails_resume", "--older-than-seconds", "300", stdout=out)
        assert "1 pending e-mail(s)" in out.getvalue()
        [message] = sink.wait_for(lambda got: len(got) == 1, what="the resumed e-mail")
    assert message["Message-ID"] == f"<oms-email-{stuck.pk}@oms.localhost>"


def test_the_dispatch_activity_starts_what_an_order_write_recorded_once(live_oms) -> None:
    """The order process v2 shape: the write returns the pending e-mail ids and never calls Temporal; the
    ``notifications.email_dispatch`` activity starts them (twice: the second attaches, nothing is sent twice)."""
    order = recorded_order(f"dispatch-{uuid.uuid4().hex[:8]}")
    event = OrderEvent.objects.create(
        order=order, type="confirmed", at=order.created_at, actor="t", idempotency_key=f"{order.number}:d"
    )
    with transaction.atomic():
        email_ids = emails_record_for_order_events(order=order, events=[event])
    assert Email.objects.get().pk == email_ids[0]
    with smtp_sink() as sink, settings_override(**sink.settings()):
        assert notifications_email_dispatch(DispatchInput(email_ids=email_ids)) == email_ids
        sink.wait_for(lambda got: len(got) == 1, what="the dispatched e-mail")
        poll_until(lambda: Email.objects.get().status == "sent", timeout=30, what="marked sent")
        assert notifications_email_dispatch(DispatchInput(email_ids=email_ids)) == []  # sent: nothing to start
    assert len(sink.received()) == 1
