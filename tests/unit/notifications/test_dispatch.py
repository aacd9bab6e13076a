"""The order's e-mail dispatch sends each e-mail once itself (ADR 0142), on the real database and a real SMTP server:
run twice it sends once, a permanent refusal ends failed at once, and an e-mail another attempt is sending (its
claim holds) is not sent a second time. The hand-over to a workflow is tested with Temporal, in
tests/integration/notifications/test_order_emails.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import services
from notifications.models import Email
from orders.contracts import EventInput
from tests.integration.notifications.helpers import apply, recorded_order
from tests.smtp_sink import smtp_sink
from tests.temporal_env import settings_override

pytestmark = pytest.mark.django_db


def confirmed_email(key: str) -> Email:
    order = recorded_order(key)
    apply(order, "w1", EventInput("confirmed", {}), status="confirmed", payment_status="authorized")
    return Email.objects.get(order=order)


def test_the_dispatch_run_twice_for_the_same_emails_sends_each_once_and_hands_none_over() -> None:
    first, second = confirmed_email("dispatch-1"), confirmed_email("dispatch-2")
    ids = [first.pk, second.pk]
    with smtp_sink() as sink, settings_override(**sink.settings()):
        assert services.emails_dispatch(email_ids=ids) == []  # both sent here: no workflow to start
        assert services.emails_dispatch(email_ids=ids) == []  # the activity retried: nothing pending
    assert sorted(sink.message_ids().values()) == [1, 1]
    for email in Email.objects.filter(pk__in=ids):
        assert (email.status, email.attempts, email.claimed_until) == ("sent", 1, None)


def test_a_recipient_the_server_refuses_for_good_ends_failed_in_the_dispatch_without_a_retry() -> None:
    email = confirmed_email("dispatch-3")
    with smtp_sink() as sink, settings_override(**sink.settings()):
        sink.refused_recipients = {email.to}
        assert services.emails_dispatch(email_ids=[email.pk]) == []
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", 1) and "550" in email.last_error
    assert not sink.received()


def test_an_email_another_attempt_is_sending_is_not_sent_until_its_claim_expires() -> None:
    email = confirmed_email("dispatch-4")
    with smtp_sink() as sink, settings_override(**sink.settings()):
        # A worker died mid-send a moment ago: its claim holds until Temporal would retry its attempt.
        Email.objects.filter(pk=email.pk).update(attempts=1, claimed_until=timezone.now() + timedelta(minutes=1))
        with pytest.raises(services.EmailBusy):
            services.email_send(email_id=email.pk)
        assert Email.objects.get(pk=email.pk).attempts == 1 and not sink.received()
        Email.objects.filter(pk=email.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))  # expired
        assert services.email_send(email_id=email.pk) is True
    email.refresh_from_db()
    assert (email.status, email.attempts, email.claimed_until) == ("sent", 2, None)
    assert len(sink.received()) == 1


def test_a_failed_attempt_releases_its_claim_for_the_retry() -> None:
    email = confirmed_email("dispatch-5")
    with smtp_sink() as sink:
        port = sink.port
    with settings_override(**{**sink.settings(), "EMAIL_PORT": port}), pytest.raises(ConnectionRefusedError):
        services.email_send(email_id=email.pk, claim_for=timedelta(minutes=5))
    email.refresh_from_db()
    assert (email.status, email.attempts, email.claimed_until) == ("pending", 1, None)
