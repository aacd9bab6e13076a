"""Order e-mails end to end: partner API / storefront service -> order workflow -> outbox row -> the dispatch activity
on the e-mail task queue (its first attempt), or the e-mail's workflow when that fails (ADR 0142) -> a real SMTP
server (aiosmtpd). One e-mail per event, subject naming the order, text + HTML."""

from __future__ import annotations

import io
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from temporalio.client import Client as TemporalClient

from notifications.activities import notifications_email_dispatch
from notifications.contracts import DispatchInput, email_workflow_id
from notifications.models import Email
from notifications.services import emails_record_for_order_events
from oms_project import temporal
from orders import services
from orders.lookup import order_lookup_path
from orders.models import OrderEvent
from tests.faults.processes import poll_until
from tests.integration.notifications.helpers import confirmed_order, pending_email, recorded_order
from tests.integration.orders.helpers import api_client, order_arguments, order_body, post_order, seed_sku, wait_for
from tests.smtp_sink import free_port, parts, smtp_sink
from tests.temporal_env import settings_override, workflow_exists

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


def test_the_dispatch_activity_sends_what_an_order_write_recorded_once(live_oms) -> None:
    """The order process v2 shape: the write returns the pending e-mail ids and never calls Temporal; the
    ``notifications.email_dispatch`` activity sends them itself (twice: the second finds nothing pending)."""
    order = recorded_order(f"dispatch-{uuid.uuid4().hex[:8]}")
    event = OrderEvent.objects.create(
        order=order, type="confirmed", at=order.created_at, actor="t", idempotency_key=f"{order.number}:d"
    )
    with transaction.atomic():
        email_ids = emails_record_for_order_events(order=order, events=[event])
    assert Email.objects.get().pk == email_ids[0]
    with smtp_sink() as sink, settings_override(**sink.settings()):
        assert notifications_email_dispatch(DispatchInput(email_ids=email_ids)) == []  # sent: nothing handed over
        assert Email.objects.get().status == "sent"
        assert notifications_email_dispatch(DispatchInput(email_ids=email_ids)) == []  # sent: nothing to start
    assert len(sink.received()) == 1
    assert not workflow_exists(email_workflow_id(email_ids[0]))


def test_an_order_email_the_server_accepts_at_once_costs_no_email_workflow(live_oms) -> None:
    """ADR 0142: the order's dispatch activity sends it; no EmailWorkflow exists for it on the server."""
    seed_sku("MAIL-NOWF", on_hand=5)
    with smtp_sink() as sink, settings_override(**sink.settings()):
        created = post_order(api_client(), order_body("MAIL-NOWF"), key=f"mail-nowf-{uuid.uuid4().hex[:8]}")
        assert created.status_code == 201, created.content
        number = created.json()["number"]
        assert wait_for(number).status == "confirmed"
        [message] = sink.wait_for(lambda got: len(got) >= 1, what="the confirmation")
        poll_until(lambda: Email.objects.get(order__number=number).status == "sent", timeout=30, what="sent")
    email = Email.objects.get(order__number=number)
    assert message["Message-ID"] == f"<oms-email-{email.pk}@oms.localhost>" and email.attempts == 1
    assert not workflow_exists(email_workflow_id(email.pk))


def test_an_order_email_whose_first_attempt_fails_gets_its_workflow_and_arrives_once_when_the_server_is_back(
    live_oms,
) -> None:
    seed_sku("MAIL-LATER", on_hand=5)
    quick = {"EMAIL_RETRY_INITIAL_INTERVAL": timedelta(seconds=0.5), "EMAIL_RETRY_MAX_INTERVAL": timedelta(seconds=1)}
    with smtp_sink() as sink, settings_override(**sink.settings(), **quick):
        sink.stop()  # the mail server is away when the order confirms
        created = post_order(api_client(), order_body("MAIL-LATER"), key=f"mail-later-{uuid.uuid4().hex[:8]}")
        assert created.status_code == 201, created.content
        number = created.json()["number"]
        assert wait_for(number).status == "confirmed"
        poll_until(lambda: Email.objects.filter(order__number=number).exists(), timeout=30, what="the e-mail row")
        email = Email.objects.get(order__number=number)
        poll_until(lambda: workflow_exists(email_workflow_id(email.pk)), timeout=30, what="its workflow")
        poll_until(lambda: Email.objects.get(pk=email.pk).attempts >= 2, timeout=30, what="a retry")
        assert Email.objects.get(pk=email.pk).status == "pending"
        sink.start()  # back on the same port
        sink.wait_for(lambda got: len(got) >= 1, what="the e-mail, once the server is back")
        poll_until(lambda: Email.objects.get(pk=email.pk).status == "sent", timeout=30, what="marked sent")
        assert email_workflow_result(email.pk) == "sent"
    assert sink.message_ids() == {f"<oms-email-{email.pk}@oms.localhost>": 1}


def test_two_dispatches_of_one_email_at_once_send_it_once(live_oms) -> None:
    """The dispatch activity retried (or run again) while its first attempt is still in the SMTP conversation:
    the second finds the e-mail claimed, hands it to its workflow, which waits for the claim and finds it sent."""
    email = pending_email(f"twice-{uuid.uuid4().hex[:8]}")
    quick = {"EMAIL_RETRY_INITIAL_INTERVAL": timedelta(seconds=0.2), "EMAIL_RETRY_MAX_INTERVAL": timedelta(seconds=1)}
    with smtp_sink() as sink, settings_override(**sink.settings(), **quick):
        sink.stall_next_seconds = 3  # the first attempt waits for the answer to DATA
        first: list[list[int]] = []

        def dispatch_in_a_thread() -> None:
            try:
                first.append(notifications_email_dispatch(DispatchInput(email_ids=[email.pk])))
            finally:
                connection.close()  # the thread's own connection

        thread = threading.Thread(target=dispatch_in_a_thread)
        thread.start()
        assert sink.stalling.wait(30), "the first attempt never reached DATA"
        assert notifications_email_dispatch(DispatchInput(email_ids=[email.pk])) == [email.pk]  # claimed: handed over
        thread.join(30)
        assert first == [[]]  # the first attempt sent it
        assert email_workflow_result(email.pk) == "sent"
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 1)
    assert sink.message_ids() == {f"<oms-email-{email.pk}@oms.localhost>": 1}


def email_workflow_result(email_id: int) -> str:
    async def call(client: TemporalClient) -> str:
        return await client.get_workflow_handle(email_workflow_id(email_id)).result()

    return temporal.run(call, timeout=60)
