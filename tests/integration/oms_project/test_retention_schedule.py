"""The retention purge runs as a Temporal Schedule (issue #19): on the real dev server with the project's workers,
the schedule is created and updated idempotently from the settings, a triggered run purges exactly the expired rows
through ``RetentionPurgeWorkflow``, a second run is harmless, and turning retention off deletes the schedule."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from temporalio.client import Client, WorkflowHistory

from carts.models import Cart
from oms_project import retention, temporal, workers
from oms_project.errors import NotFound
from oms_project.models import IdempotencyRecord
from oms_project.retention_contracts import SCHEDULE_ID, PurgeRunResult
from oms_project.retention_workflows import RetentionPurgeWorkflow
from partners.models import Partner
from tests.temporal_env import settings_override
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

pytestmark = [pytest.mark.integration]
RECORDED = Path(__file__).resolve().parents[2] / "workflow" / "replay" / "histories" / "retention_purge.json"
RECORD_ALL = os.environ.get("OMS_RECORD_HISTORIES") == "all"


def run_result(workflow_id: str, run_id: str) -> PurgeRunResult:
    async def call(client: Client) -> PurgeRunResult:
        return await client.get_workflow_handle(workflow_id, run_id=run_id, result_type=PurgeRunResult).result()

    return temporal.run(call, timeout=60)


def triggered_run() -> tuple[PurgeRunResult, tuple[str, str]]:
    """Trigger the schedule; the result of the run it started and its (workflow id, run id)."""
    before = set(temporal.schedule_describe(SCHEDULE_ID).recent_runs)
    temporal.schedule_trigger(SCHEDULE_ID)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        started = [run for run in temporal.schedule_describe(SCHEDULE_ID).recent_runs if run not in before]
        if started:
            return run_result(*started[-1]), started[-1]
        time.sleep(0.2)
    raise AssertionError("the schedule started no run")


def replay_and_keep(workflow_id: str, run_id: str) -> None:
    """The run's history replays with today's code; ``OMS_RECORD_HISTORIES=1`` stores it for the replay suite
    (tests/workflow/replay/test_retention_history.py)."""

    async def call(client: Client) -> WorkflowHistory:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        await workers.replayer([RetentionPurgeWorkflow]).replay_workflow(history)
        return history

    history = temporal.run(call, timeout=60)
    if os.environ.get("OMS_RECORD_HISTORIES") and (RECORD_ALL or not RECORDED.exists()):
        RECORDED.write_text(history.to_json())


def seed_rows() -> dict[str, set[int]]:
    now = timezone.now()
    old, fresh = now - timedelta(days=40), now - timedelta(minutes=1)
    records = [
        IdempotencyRecord.objects.create(
            owner="partner:1", key=key, scope="orders.create", request_hash="h", created_at=at, claimed_at=at
        )
        for key, at in (("old", old), ("fresh", fresh))
    ]
    partner = Partner.objects.create(name="retention")
    endpoint = WebhookEndpoint.objects.create(partner=partner, url="https://a.example/", events=["order.created"])
    events = []
    for key, status in (("sent", "succeeded"), ("retrying", "pending")):
        event = WebhookEvent.objects.create(
            partner=partner, type="order.created", dedupe_key=key, body="{}", created_at=old
        )
        WebhookDelivery.objects.create(event=event, endpoint=endpoint, status=status)
        events.append(event)
    carts = [
        Cart.objects.create(session_key=f"s-{status}", currency="EUR", status=status) for status in ("expired", "open")
    ]
    Cart.objects.filter(pk__in=[c.pk for c in carts]).update(updated_at=old)
    return {
        "idempotency": {records[1].pk},
        "webhook_events": {events[1].pk},
        "closed_carts": {carts[1].pk},
    }, {
        "idempotency": {record.pk for record in records},
        "webhook_events": {event.pk for event in events},
        "closed_carts": {cart.pk for cart in carts},
    }


def remaining(seeded: dict[str, set[int]]) -> dict[str, set[int]]:
    """Which of the seeded rows are left (rows other tests' processes write meanwhile are not this test's)."""
    return {
        "idempotency": set(IdempotencyRecord.objects.filter(pk__in=seeded["idempotency"]).values_list("pk", flat=True)),
        "webhook_events": set(
            WebhookEvent.objects.filter(pk__in=seeded["webhook_events"]).values_list("pk", flat=True)
        ),
        "closed_carts": set(Cart.objects.filter(pk__in=seeded["closed_carts"]).values_list("pk", flat=True)),
    }


def test_the_schedule_runs_the_purge_of_exactly_the_expired_rows(live_oms) -> None:  # type: ignore[no-untyped-def]
    kept, seeded = seed_rows()
    with settings_override(RETENTION_ENABLED=False):
        retention.retention_schedule_apply()  # a worker started earlier in the session may have created it
    try:
        with settings_override(RETENTION_ENABLED=True, RETENTION_INTERVAL=timedelta(hours=1)):
            out = io.StringIO()
            call_command("retention_schedule", stdout=out)  # what an operator runs; run_workers calls the same
            assert "Schedule retention-purge: created" in out.getvalue() and "Every 1:00:00" in out.getvalue()
            assert retention.retention_schedule_apply() == "updated"  # every worker start does this: harmless
        with settings_override(RETENTION_ENABLED=True, RETENTION_INTERVAL=timedelta(minutes=30)):
            assert retention.retention_schedule_apply() == "updated"
        view = temporal.schedule_describe(SCHEDULE_ID)
        assert view.every == [timedelta(minutes=30)] and not view.paused

        first, first_run = triggered_run()
        assert {r.policy: r.deleted for r in first.results} == {
            "idempotency": 1,
            "webhook_events": 1,
            "closed_carts": 1,
        }
        assert remaining(seeded) == kept

        replay_and_keep(*first_run)

        second, _ = triggered_run()  # nothing left to delete, nothing needed deleted
        assert {r.deleted for r in second.results} == {0}
        assert remaining(seeded) == kept
    finally:
        with settings_override(RETENTION_ENABLED=False):
            assert retention.retention_schedule_apply() == "deleted"
            assert retention.retention_schedule_apply() == "absent"
    with pytest.raises(NotFound):
        temporal.schedule_describe(SCHEDULE_ID)


def test_workers_cache_the_configured_number_of_workflows_and_run_the_purge_on_the_order_queue(live_oms) -> None:  # type: ignore[no-untyped-def]
    assert settings.WORKER_MAX_CACHED_WORKFLOWS == 500  # the documented default (docs/benchmarks.md), not the SDK's
    configs = [worker.config() for worker in live_oms.workers]
    assert {config["max_cached_workflows"] for config in configs} == {settings.WORKER_MAX_CACHED_WORKFLOWS}
    order = next(config for config in configs if config["task_queue"] == settings.ORDER_TASK_QUEUE)
    assert any(getattr(w, "__name__", "") == "RetentionPurgeWorkflow" for w in order["workflows"])
