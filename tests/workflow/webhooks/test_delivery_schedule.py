"""The production retry schedule on the time-skipping server: backoff for hours, give up after about 24 h."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async

from oms_project.workers import replayer
from partners.models import Partner
from tests.integration.webhooks.receiver import free_port
from tests.temporal_env import settings_override, workers_on
from webhooks import domain, services
from webhooks.contracts import DeliveryWorkflowInput, delivery_workflow_id
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.workflows import WebhookDeliveryWorkflow


def expected_attempts(schedule) -> int:  # type: ignore[no-untyped-def]
    """Attempts Temporal makes before the next wait would pass the give-up budget (instant failures)."""
    elapsed, attempts = 0.0, 1
    while True:
        wait = domain.retry_interval_seconds(
            attempt=attempts,
            initial=schedule.initial_interval_seconds,
            backoff=schedule.backoff,
            maximum=schedule.max_interval_seconds,
        )
        if elapsed + wait >= schedule.give_up_after_seconds:
            return attempts
        elapsed += wait
        attempts += 1


@sync_to_async
def dead_delivery() -> int:
    partner = Partner.objects.create(name=f"p-{uuid.uuid4().hex[:8]}")
    endpoint = WebhookEndpoint.objects.create(
        partner=partner, url=f"http://127.0.0.1:{free_port()}/", events=["order.created"], secret="whsec_test"
    )
    event = WebhookEvent.objects.create(
        partner=partner, type="order.created", dedupe_key=uuid.uuid4().hex, body="{}", created_at="2026-01-01T00:00Z"
    )
    return WebhookDelivery.objects.create(event=event, endpoint=endpoint).pk


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
async def test_default_schedule_retries_for_hours_then_fails(skip_env) -> None:
    schedule = services.retry_schedule()  # the defaults: 10 s, x2, at most 1 h apart, for 24 h
    assert schedule.give_up_after_seconds == 24 * 3600
    with settings_override(WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
        delivery_id = await dead_delivery()
        async with workers_on(skip_env.client) as queues:
            handle = await skip_env.client.start_workflow(
                WebhookDeliveryWorkflow.run,
                DeliveryWorkflowInput(delivery_id=delivery_id, schedule=schedule),
                id=f"{delivery_workflow_id(delivery_id)}-{uuid.uuid4().hex[:6]}",
                task_queue=queues["webhook"],
            )
            assert await handle.result() == "failed"
            described = await handle.describe()
            history = await handle.fetch_history()

    # The current workflow code replays the recorded history (no non-determinism).
    await replayer([WebhookDeliveryWorkflow]).replay_workflow(history)

    delivery = await sync_to_async(WebhookDelivery.objects.get)(pk=delivery_id)
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempt_count == expected_attempts(schedule)
    assert delivery.attempt_count > 20  # hourly attempts after the first doublings
    ran_for = described.close_time - described.start_time
    assert timedelta(hours=23) < ran_for <= timedelta(hours=24, minutes=1)
