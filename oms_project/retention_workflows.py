"""``RetentionPurgeWorkflow``: one run per tick of the ``retention-purge`` schedule (oms_project.retention)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from oms_project.retention_contracts import (
        POLICY_NAMES,
        RETENTION_PURGE,
        PurgeInput,
        PurgeResult,
        PurgeRunInput,
        PurgeRunResult,
    )


@workflow.defn(name="RetentionPurgeWorkflow")
class RetentionPurgeWorkflow:
    @workflow.run
    async def run(self, inp: PurgeRunInput) -> PurgeRunResult:
        # The workflow's time (its start, replayed identically) fixes every policy's cutoff for the whole run.
        now = workflow.now().isoformat()
        outcome = PurgeRunResult()
        for policy in inp.policies or POLICY_NAMES:
            result = await workflow.execute_activity(
                RETENTION_PURGE,
                PurgeInput(policy=policy, now=now),
                result_type=PurgeResult,
                # A first run over a long backlog deletes many batches; each heartbeats, so a dead worker is
                # noticed within the heartbeat timeout and the retry carries on where the deletes stopped.
                start_to_close_timeout=timedelta(hours=1),
                heartbeat_timeout=timedelta(minutes=2),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1), maximum_attempts=10),
            )
            outcome.results.append(result)
        return outcome
