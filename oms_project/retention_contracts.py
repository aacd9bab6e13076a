"""What the retention workflow and its activity exchange (no Django: the workflow imports it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from oms_project.payload_types import resolve_annotations

RETENTION_PURGE = "retention.purge"  # the activity's fixed name (histories hold it)
SCHEDULE_ID = "retention-purge"
WORKFLOW_ID = "retention-purge"  # the schedule appends each run's time
POLICY_NAMES = ("idempotency", "webhook_events", "closed_carts")


@dataclass
class PurgeRunInput:
    policies: list[str] = field(default_factory=list)  # empty: every policy


@dataclass
class PurgeInput:
    policy: str
    now: str  # ISO 8601: the run's time, the same for every batch and retry, so the cutoff does not move


@dataclass
class PurgeResult:
    policy: str
    deleted: int
    batches: int


@dataclass
class PurgeRunResult:
    results: list[PurgeResult] = field(default_factory=list)


resolve_annotations(globals())  # types, not strings, for the payload converter (oms_project.payload_types)
