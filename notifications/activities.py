"""E-mail activities: dispatch the e-mails an order write recorded (each tried once there, the failed ones handed
to their workflow: ADR 0142), send one (idempotent: a sent e-mail is never sent again), mark one failed."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from notifications import contracts, services
from oms_project.activities import orm_activity


def _attempt_timeout() -> timedelta | None:
    """After how long Temporal takes this activity attempt for dead and may start another: how long the attempt
    claims an e-mail it sends (counted from the claim, so never shorter than Temporal's view; None outside an
    activity)."""
    return activity.info().start_to_close_timeout if activity.in_activity() else None


@activity.defn(name=contracts.SEND)
@orm_activity
def notifications_email_send(inp: contracts.SendInput) -> bool:
    try:
        return services.email_send(email_id=inp.email_id, claim_for=_attempt_timeout())
    except services.EmailGone as exc:
        raise ApplicationError(str(exc), type=contracts.EMAIL_GONE, non_retryable=True) from exc
    except Exception as exc:
        if services.refused_for_good(exc):  # 4xx is "try later": retried
            raise ApplicationError(str(exc), type=contracts.EMAIL_REJECTED, non_retryable=True) from exc
        raise  # EmailBusy (another attempt is sending it) and every mail-server problem: retried with backoff


@activity.defn(name=contracts.MARK_FAILED)
@orm_activity
def notifications_email_mark_failed(inp: contracts.MarkFailedInput) -> None:
    services.email_mark_failed(email_id=inp.email_id, reason=inp.reason)


@activity.defn(name=contracts.DISPATCH)
@orm_activity
def notifications_email_dispatch(inp: contracts.DispatchInput) -> list[int]:
    """Send the e-mails an order write recorded (the write itself never calls Temporal): each pending one is tried
    once here, and only those whose attempt failed get their retrying workflow (ADR 0142). Idempotent: a sent
    e-mail is not pending any more, an e-mail another attempt is sending is claimed, and one workflow id per
    e-mail. Retried by Temporal while Temporal refuses a start. Returns the ids handed to their workflow."""
    return services.emails_dispatch(email_ids=inp.email_ids, claim_for=_attempt_timeout())
