"""One delivery of one webhook event to one endpoint: attempts with backoff for hours, then a visible failure."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    import webhooks.contracts as contracts  # not "from app import contracts" (test_sandbox_imports)


@workflow.defn(name="WebhookDeliveryWorkflow")
class WebhookDeliveryWorkflow:
    @workflow.run
    async def run(self, inp: contracts.DeliveryWorkflowInput) -> str:
        schedule = inp.schedule
        policy = RetryPolicy(
            initial_interval=timedelta(seconds=schedule.initial_interval_seconds),
            backoff_coefficient=schedule.backoff,
            maximum_interval=timedelta(seconds=schedule.max_interval_seconds),
            maximum_attempts=0,  # bounded by the schedule-to-close budget below, not by a count
            non_retryable_error_types=[contracts.DELIVERY_GONE],
        )
        try:
            await workflow.execute_activity(
                contracts.DELIVER,
                contracts.DeliverInput(delivery_id=inp.delivery_id, schedule=schedule),
                result_type=contracts.DeliverResult,
                # One attempt: the HTTP timeout plus room for the database writes around it.
                start_to_close_timeout=timedelta(seconds=schedule.request_timeout_seconds + 10),
                schedule_to_close_timeout=timedelta(seconds=schedule.give_up_after_seconds),
                retry_policy=policy,
            )
            return "succeeded"
        except ActivityError as error:
            cause = error.cause
            reason = f"gave up: {cause.message if cause is not None and hasattr(cause, 'message') else error}"
        # Recording the failure must not be lost: retried until the database takes it.
        await workflow.execute_activity(
            contracts.MARK_FAILED,
            contracts.MarkFailedInput(delivery_id=inp.delivery_id, reason=reason),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
        )
        return "failed"
