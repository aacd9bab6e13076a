"""Customer e-mails under faults: the worker process killed in the middle of an SMTP conversation, and a mail server
that is down, then back, while e-mails are pending. Each order event's e-mail arrives; only a send the mail server
had already queued when the worker died arrives twice, under the same Message-ID (docs/notifications.md)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from notifications.models import Email
from tests.faults.processes import ProcessSupervisor, app_env, current_database_url, poll_until, start_workers
from tests.integration.notifications.helpers import confirmed_order
from tests.integration.orders.helpers import api_client, order_body, post_order, seed_sku, wait_for
from tests.smtp_sink import smtp_sink
from tests.temporal_env import settings_override

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.faults, pytest.mark.slow]

EMAILS = 4
# The e-mail schedule the starter hands to each e-mail workflow: quick retries, and a short attempt timeout so
# that Temporal retries the attempt the kill cut off within seconds (2 x 3 s SMTP timeout + 10 s).
QUICK = {
    "EMAIL_RETRY_INITIAL_INTERVAL": timedelta(seconds=0.5),
    "EMAIL_RETRY_MAX_INTERVAL": timedelta(seconds=1),
    "EMAIL_TIMEOUT": 3,
}


@pytest.mark.parametrize("server_queued_it", [False, True], ids=["kill-before-accept", "kill-after-queue"])
def test_killing_the_email_worker_mid_send_delivers_every_email(
    live_oms, temporal_server: str, supervisor: ProcessSupervisor, server_queued_it: bool
) -> None:
    queue = f"email-kill-{uuid.uuid4().hex[:8]}"  # only the subprocess workers poll it
    with smtp_sink() as sink, settings_override(EMAIL_TASK_QUEUE=queue, **QUICK):
        env = app_env(
            database_url=current_database_url(),
            temporal_address=temporal_server,
            EMAIL_TASK_QUEUE=queue,
            EMAIL_URL=sink.url,
            EMAIL_TIMEOUT_SECONDS="60",  # the worker waits for the stalled answer until it is killed
        )
        start_workers(supervisor, "email-workers-1", env, queue="email")
        sink.stall_next_seconds, sink.queue_before_stall = 20, server_queued_it
        orders = [confirmed_order(f"kill-{uuid.uuid4().hex[:8]}") for _ in range(EMAILS)]
        assert sink.stalling.wait(60), "no send reached the mail server"
        # The others go through meanwhile, so the kill cuts exactly one send: the one waiting for its answer.
        poll_until(lambda: Email.objects.filter(status="sent").count() == EMAILS - 1, timeout=15, what="the others")
        supervisor.kill("email-workers-1")  # mid-conversation: the server has not answered DATA

        start_workers(supervisor, "email-workers-2", env, queue="email")
        poll_until(lambda: Email.objects.filter(status="sent").count() == EMAILS, timeout=180, what="every e-mail sent")
        supervisor.terminate("email-workers-2")
        received = sink.message_ids()

    emails = {email.pk: email for email in Email.objects.filter(order__in=orders)}
    expected = {f"<oms-email-{pk}@oms.localhost>" for pk in emails}
    assert set(received) == expected, received  # every event's e-mail arrived
    duplicated = {message_id: count for message_id, count in received.items() if count > 1}
    if server_queued_it:  # the one send the server had queued arrives again, recognisably
        assert duplicated == {sink.stalled_message_id: 2}, received
    else:  # the server never took the interrupted send: exactly once each
        assert not duplicated, received
    # Only the interrupted send was tried again.
    assert sorted(email.attempts for email in emails.values()) == [1] * (EMAILS - 1) + [2]


def test_a_mail_server_that_is_down_delays_emails_and_never_an_order(live_oms) -> None:
    seed_sku("MAIL-DOWN", on_hand=10)
    shop = api_client()
    with smtp_sink() as sink, settings_override(**sink.settings(), **QUICK):
        first = confirmed_order(f"down-{uuid.uuid4().hex[:8]}")
        sink.wait_for(lambda got: len(got) == 1, what="the first e-mail")
        sink.stop()  # the mail server goes away

        numbers = []
        for index in range(3):  # orders confirm while it is away
            response = post_order(shop, order_body("MAIL-DOWN"), key=f"down-{uuid.uuid4().hex[:8]}-{index}")
            assert response.status_code == 201, response.content
            numbers.append(response.json()["number"])
        assert {wait_for(number, timeout=60).status for number in numbers} == {"confirmed"}
        pending = Email.objects.filter(order__number__in=numbers)
        poll_until(
            lambda: pending.count() == 3 and all(email.attempts >= 2 for email in pending.all()),
            timeout=60,
            what="each pending e-mail tried at least twice",
        )
        assert set(pending.values_list("status", flat=True)) == {"pending"}
        assert all("ConnectionRefusedError" in email.last_error for email in pending.all())

        sink.start()  # back on the same port
        sink.wait_for(lambda got: len(got) == 4, timeout=60, what="the e-mails of the pending orders")
        poll_until(lambda: pending.filter(status="sent").count() == 3, timeout=30, what="marked sent")
        received = sink.message_ids()

    assert sorted(received.values()) == [1, 1, 1, 1]  # exactly once each
    subjects = sorted(message["Subject"] for message in sink.received())
    assert subjects == sorted(f"Your order {number} is confirmed" for number in [first.number, *numbers])
