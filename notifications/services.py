"""E-mail writes: record the e-mails of order events (outbox), send one (the order's dispatch first, then the
e-mail's workflow while it fails: ADR 0142), resend.

Guarantee (docs/notifications.md): an order event has exactly one e-mail row, whatever the retries of the write
that recorded it; the row is sent until the mail server accepts it, and marked sent under its row lock, so a
finished send is never repeated. Only a worker that dies between the server's "accepted" and that mark sends the
same e-mail again: same Message-ID, so the duplicate is recognisable (SMTP has no exactly-once handshake).
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

from notifications import domain, rendering
from notifications.contracts import EmailWorkflowInput, RetrySchedule, email_workflow_id
from notifications.models import Email
from notifications.workflows import EmailWorkflow
from oms_project import temporal
from oms_project.errors import NotFound
from orders.models import Order, OrderEvent

log = logging.getLogger(__name__)


def emails_record_for_order_events(
    *, order: Order, events: Sequence[OrderEvent], start_after_commit: bool = False
) -> list[int]:
    """The e-mails these timeline events cause, recorded in the caller's transaction (the order write's).

    Call it with the events just written (or, when a write is replayed, the events it had written): each event
    gets its e-mail once (a unique constraint per event). Returns the ids of these events' e-mails still pending,
    for the caller to start: from the order workflow with the ``notifications.email_dispatch`` activity (the write
    itself never calls Temporal), or, with ``start_after_commit``, right after the commit (a failed start is
    logged and left to ``emails_resume``). A replayed write returns the same pending ids, so a worker that died
    between the commit and the start is made good by the write's retry. Orders without an address send nothing.
    """
    wanted = [(event, kind) for event in events if (kind := domain.email_kind_for(event.type)) is not None]
    if not wanted or not order.contact_email:
        return []
    wanted = [(_saved(event), kind) for event, kind in wanted]
    # One INSERT ... ON CONFLICT DO NOTHING: an event whose e-mail exists (a replayed write, or a concurrent one)
    # keeps it (the unique constraint per event decides), without a savepoint or a look-up first.
    Email.objects.bulk_create(
        [Email(order=order, event=event, kind=kind, to=order.contact_email) for event, kind in wanted],
        ignore_conflicts=True,
    )
    originals = Email.objects.filter(event__in=[event for event, _ in wanted], resend_of__isnull=True)
    pending = list(originals.filter(status=Email.Status.PENDING).order_by("pk").values_list("pk", flat=True))
    if start_after_commit:
        transaction.on_commit(lambda: _start_all(pending))
    return pending


def _saved(event: OrderEvent) -> OrderEvent:
    """``bulk_create`` sets primary keys on PostgreSQL and recent SQLite; look the event up where it did not."""
    return event if event.pk is not None else OrderEvent.objects.get(idempotency_key=event.idempotency_key)


def retry_schedule() -> RetrySchedule:
    return RetrySchedule(
        initial_interval_seconds=settings.EMAIL_RETRY_INITIAL_INTERVAL.total_seconds(),
        backoff=settings.EMAIL_RETRY_BACKOFF,
        max_interval_seconds=settings.EMAIL_RETRY_MAX_INTERVAL.total_seconds(),
        give_up_after_seconds=settings.EMAIL_GIVE_UP_AFTER.total_seconds(),
        attempt_timeout_seconds=float(settings.EMAIL_TIMEOUT) * 2 + 10,
    )


def _start(email_id: int) -> None:
    temporal.start_workflow(
        EmailWorkflow.run,
        EmailWorkflowInput(email_id=email_id, schedule=retry_schedule()),
        workflow_id=email_workflow_id(email_id),
        task_queue=settings.EMAIL_TASK_QUEUE,
    )


def _start_all(email_ids: list[int]) -> None:
    """Start (or attach to) each e-mail's workflow. Runs after the order write committed, inside the order's own
    activity: a failure here must not fail that activity (the order workflow would take its committed write for a
    failed one), so it is logged and the e-mail stays pending until ``emails_resume`` (or staff) starts it."""
    for email_id in email_ids:
        try:
            _start(email_id)
        except Exception:
            log.exception(
                "could not start the workflow of e-mail %s; it stays pending (manage.py emails_resume)", email_id
            )


def emails_start(*, email_ids: Sequence[int]) -> list[int]:
    """Start (or attach to) the workflow of each of these e-mails still pending; raises if Temporal refuses.
    Returns the ids started or attached to."""
    pending = list(
        Email.objects.filter(pk__in=list(email_ids), status=Email.Status.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for email_id in pending:
        _start(email_id)
    return pending


def emails_dispatch(*, email_ids: Sequence[int], claim_for: timedelta | None = None) -> list[int]:
    """The order's ``notifications.email_dispatch``: try each of these e-mails still pending once, here (a short
    SMTP attempt, ``EMAIL_FIRST_ATTEMPT_TIMEOUT``), and start the retrying workflow only of those whose attempt
    failed (ADR 0142). A mail server that accepts at once thus costs no workflow; one that is away, answers "try
    later" (4xx) or is slow gets exactly today's backoff and give-up; a permanent refusal (5xx) ends ``failed``
    at once, as in the workflow. Raises if Temporal refuses a start, so the activity is retried: the e-mails
    sent meanwhile are not pending any more, the others are tried and started again (both idempotent).

    ``claim_for``: how long this attempt claims each e-mail it sends (the dispatch activity's own timeout).
    Returns the ids whose workflow was started or attached to.
    """
    pending = list(
        Email.objects.filter(pk__in=list(email_ids), status=Email.Status.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    budget = float(settings.EMAIL_FIRST_ATTEMPT_TIMEOUT)
    deadline = time.monotonic() + budget
    handed_over = []
    for email_id in pending:
        if time.monotonic() >= deadline:  # the attempts so far were slow: leave the rest to their workflows
            handed_over.append(email_id)
            continue
        try:
            email_send(email_id=email_id, claim_for=claim_for, timeout=min(budget, float(settings.EMAIL_TIMEOUT)))
        except EmailGone:
            continue
        except Exception as exc:
            if refused_for_good(exc):
                email_mark_failed(email_id=email_id, reason=f"gave up: {exc}")
                continue
            log.info("e-mail %s: first attempt failed (%s); its workflow retries it", email_id, type(exc).__name__)
            handed_over.append(email_id)
    for email_id in handed_over:
        _start(email_id)
    return handed_over


def emails_resume(*, older_than: timedelta) -> list[int]:
    """Start the workflow of every e-mail still pending after ``older_than`` (idempotent: a running workflow is
    attached to, a sent e-mail is not sent again). For e-mails whose start failed after their order's commit."""
    cutoff = timezone.now() - older_than
    stale = Email.objects.filter(status=Email.Status.PENDING, created_at__lte=cutoff)
    return emails_start(email_ids=list(stale.values_list("pk", flat=True)))


def email_resend(*, email_id: int, actor: str) -> Email:
    """Staff: send an e-mail again through the outbox. A sent or failed e-mail gets a new row (its own
    Message-ID, visible beside the first); a pending one has its workflow started again (no second row)."""
    original = Email.objects.filter(pk=email_id).select_related("order").first()
    if original is None:
        raise NotFound(f"E-mail {email_id} does not exist.")
    if original.status == Email.Status.PENDING:
        transaction.on_commit(lambda: _start_all([original.pk]))
        return original
    with transaction.atomic():
        email = Email.objects.create(
            order=original.order,
            event_id=original.event_id,
            kind=original.kind,
            to=original.order.contact_email or original.to,
            resend_of=original,
            requested_by=actor[:150],
        )
        transaction.on_commit(lambda: _start_all([email.pk]))
    return email


# --- Used by the e-mail activities ---------------------------------------------------------------------------


class EmailGone(Exception):
    """The e-mail row no longer exists (its order was deleted): nothing to send."""


class EmailBusy(Exception):
    """Another attempt is sending this e-mail now (its claim has not expired): try again later."""


def refused_for_good(exc: BaseException) -> bool:
    """The mail server refused every recipient permanently (5xx): no retry can deliver it. 4xx is "try later"."""
    return isinstance(exc, smtplib.SMTPRecipientsRefused) and all(code >= 500 for code, _ in exc.recipients.values())


def email_send(*, email_id: int, claim_for: timedelta | None = None, timeout: float | None = None) -> bool:
    """Send one e-mail unless it was sent; True when this call sent it. Raises on any mail-server problem (the
    workflow retries). The send itself holds no lock: a slow mail server never blocks an order write.

    Two attempts never send the same e-mail at once (the order's dispatch and the e-mail's workflow, started
    again by staff or ``emails_resume``, are two senders): each claims the row for ``claim_for`` (its activity's
    timeout, after which Temporal retries a dead attempt; default: the workflow's attempt timeout) and raises
    ``EmailBusy`` while another's claim holds. ``timeout``: the SMTP timeout of this attempt
    (default ``EMAIL_TIMEOUT``)."""
    with transaction.atomic():
        # The order and event the message renders come with the claim in one statement; only the e-mail's row
        # is locked (the order's row is its writes' lock).
        email = (
            Email.objects.select_for_update(of=("self",)).select_related("order", "event").filter(pk=email_id).first()
        )
        if email is None:
            raise EmailGone(f"E-mail {email_id} does not exist.")
        if email.status == Email.Status.SENT:
            return False
        now = timezone.now()
        if email.claimed_until is not None and email.claimed_until > now:
            raise EmailBusy(f"E-mail {email_id} is being sent by another attempt until {email.claimed_until}.")
        email.attempts += 1
        email.claimed_until = now + (claim_for or timedelta(seconds=retry_schedule().attempt_timeout_seconds))
        email.save(update_fields=["attempts", "claimed_until"])
    message = rendering.email_message(email)
    if timeout is not None:
        message.connection = get_connection(timeout=timeout)
    try:
        message.send(fail_silently=False)
    except Exception as exc:
        Email.objects.filter(pk=email_id).update(last_error=f"{type(exc).__name__}: {exc}"[:2000], claimed_until=None)
        raise
    # Sent: one conditional UPDATE (a row another attempt already marked sent keeps its own time and subject).
    Email.objects.filter(pk=email_id).exclude(status=Email.Status.SENT).update(
        status=Email.Status.SENT,
        sent_at=timezone.now(),
        subject=message.subject[:255],
        last_error="",
        claimed_until=None,
    )
    log.info("e-mail %s (%s of order %s) sent", email_id, email.kind, email.order_id)
    return True


def email_mark_failed(*, email_id: int, reason: str) -> None:
    """The retry budget is spent: visible as failed until staff send it again."""
    with transaction.atomic():
        email = Email.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.status == Email.Status.SENT:
            return
        email.status = Email.Status.FAILED
        email.last_error = email.last_error or reason[:2000]
        email.save(update_fields=["status", "last_error"])
