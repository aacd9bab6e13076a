"""One customer e-mail: sent with backoff while the mail server is away, then a visible failure (ADR 0055)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    import notifications.contracts as contracts  # not "from app import contracts" (test_sandbox_imports)


@workflow.defn(name="EmailWorkflow")
class EmailWorkflow:
    @workflow.run
    async def run(self, inp: contracts.EmailWorkflowInput) -> str:
        schedule = inp.schedule
        policy = RetryPolicy(
            initial_interval=timedelta(seconds=schedule.initial_interval_seconds),
            backoff_coefficient=schedule.backoff,
            maximum_interval=timedelta(seconds=schedule.max_interval_seconds),
            maximum_attempts=0,  # bounded by the schedule-to-close budget below, not by a count
            non_retryable_error_types=[contracts.EMAIL_GONE, contracts.EMAIL_REJECTED],
        )
        try:
            await workflow.execute_activity(
                contracts.SEND,
                contracts.SendInput(email_id=inp.email_id),
                result_type=bool,
                start_to_close_timeout=timedelta(seconds=schedule.attempt_timeout_seconds),
                schedule_to_close_timeout=timedelta(seconds=schedule.give_up_after_seconds),
                retry_policy=policy,
            )
            return "sent"
        except ActivityError as error:
            cause = error.cause
            reason = f"gave up: {cause.message if cause is not None and hasattr(cause, 'message') else error}"
        # Recording the failure must not be lost: retried until the database takes it.
        await workflow.execute_activity(
            contracts.MARK_FAILED,
            contracts.MarkFailedInput(email_id=inp.email_id, reason=reason),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
        )
        return "failed"
