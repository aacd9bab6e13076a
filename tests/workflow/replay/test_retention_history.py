"""Replay: today's RetentionPurgeWorkflow must replay the history of a real run (recorded by
tests/integration/oms_project/test_retention_schedule.py with ``OMS_RECORD_HISTORIES=1``: a schedule-started run
that purged one row of each policy)."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import WorkflowHistory

from oms_project import workers
from oms_project.retention_workflows import RetentionPurgeWorkflow

HISTORY = Path(__file__).parent / "histories" / "retention_purge.json"


async def test_a_recorded_retention_run_replays() -> None:
    history = WorkflowHistory.from_json("retention-purge", HISTORY.read_text())
    assert [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ] == ["retention.purge"] * 3
    await workers.replayer([RetentionPurgeWorkflow]).replay_workflow(history)
