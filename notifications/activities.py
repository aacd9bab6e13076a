"""E-mail activities: start the e-mails an order write recorded, send one (idempotent: a sent e-mail is never sent
again), mark one failed."""

from __future__ import annotations

import smtplib

from temporalio import activity
from temporalio.exceptions import ApplicationError

from notifications import contracts, services
from oms_project.activities import orm_activity


@activity.defn(name=contracts.SEND)
@orm_activity
def notifications_email_send(inp: contracts.SendInput) -> bool:
    try:
        return services.email_send(email_id=inp.email_id)
    except services.EmailGone as exc:
        raise ApplicationError(str(exc), type=contracts.EMAIL_GONE, non_retryable=True) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        if all(code >= 500 for code, _ in exc.recipients.values()):  # 4xx is "try later": retried
            raise ApplicationError(str(exc), type=contracts.EMAIL_REJECTED, non_retryable=True) from exc
        raise


@activity.defn(name=contracts.MARK_FAILED)
@orm_activity
def notifications_email_mark_failed(inp: contracts.MarkFailedInput) -> None:
    services.email_mark_failed(email_id=inp.email_id, reason=inp.reason)


@activity.defn(name=contracts.DISPATCH)
@orm_activity
def notifications_email_dispatch(inp: contracts.DispatchInput) -> list[int]:
    """Start the e-mails an order write recorded (the write itself never calls Temporal). Idempotent: one workflow
    id per e-mail, and only pending e-mails start. Retried by Temporal while Temporal refuses the start."""
    return services.emails_start(email_ids=inp.email_ids)
