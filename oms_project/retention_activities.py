"""The retention activity: one policy's purge, batch by batch, heartbeating its progress."""

from __future__ import annotations

from datetime import datetime

from temporalio import activity

from oms_project import retention
from oms_project.activities import orm_activity
from oms_project.retention_contracts import RETENTION_PURGE, PurgeInput, PurgeResult


@activity.defn(name=RETENTION_PURGE)
@orm_activity
def retention_purge(inp: PurgeInput) -> PurgeResult:
    """Idempotent without a key: it deletes only rows expired at ``inp.now``, so a retry deletes what the failed
    attempt did not."""
    outcome = retention.retention_purge(
        policy=inp.policy, now=datetime.fromisoformat(inp.now), on_batch=lambda deleted: activity.heartbeat(deleted)
    )
    return PurgeResult(policy=outcome.policy, deleted=outcome.deleted, batches=outcome.batches)
