"""Temporal payloads, activity names and workflow ids of the e-mail process (pure: no Django)."""

from __future__ import annotations

from dataclasses import dataclass

from oms_project.payload_types import resolve_annotations

# Activity names live in workflow histories: never rename.
SEND = "notifications.email_send"
MARK_FAILED = "notifications.email_mark_failed"
DISPATCH = "notifications.email_dispatch"  # the order workflow starts the e-mails its write recorded

# ApplicationError types of an e-mail that can never be sent: not retried.
EMAIL_GONE = "email_gone"  # its row is gone
EMAIL_REJECTED = "email_rejected"  # the mail server refused the recipient for good (5xx)


def email_workflow_id(email_id: int) -> str:
    return f"email-{email_id}"


@dataclass(frozen=True)
class RetrySchedule:
    """Backoff of one e-mail, in seconds (tests shrink hours to seconds through the workflow input)."""

    initial_interval_seconds: float
    backoff: float
    max_interval_seconds: float
    give_up_after_seconds: float
    attempt_timeout_seconds: float  # one SMTP conversation plus the database writes around it


@dataclass(frozen=True)
class EmailWorkflowInput:
    email_id: int  # only the id: addresses and links never enter the workflow history
    schedule: RetrySchedule


@dataclass(frozen=True)
class SendInput:
    email_id: int


@dataclass(frozen=True)
class MarkFailedInput:
    email_id: int
    reason: str


@dataclass(frozen=True)
class DispatchInput:
    """The e-mails an order write recorded (``emails_record_for_order_events``), sent on EMAIL_TASK_QUEUE."""

    email_ids: list[int]


resolve_annotations(globals())  # types, not strings, for the payload converter (oms_project.payload_types)
