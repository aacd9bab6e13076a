"""``webhooks.dispatch``: the activity a workflow schedules after a write that recorded webhook events. It runs on
WEBHOOK_TASK_QUEUE and starts one delivery workflow per delivery, however often it runs."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection
from temporalio.converter import DataConverter
from temporalio.testing import ActivityEnvironment

from oms_project import temporal
from oms_project.workers import WEBHOOK, collect_components
from partners.models import Partner
from tests.integration.webhooks.receiver import receiver
from tests.integration.webhooks.test_webhooks import FAST_RETRIES, delivery_status, wait_for
from tests.temporal_env import settings_override, workflow_exists
from webhooks import domain
from webhooks.activities import webhooks_dispatch
from webhooks.contracts import DispatchInput, delivery_workflow_id, order_event_dedupe_key
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_event_publish

pytestmark = pytest.mark.integration


def recorded_event(partner: Partner, number: str, urls: list[str]) -> tuple[str, list[int]]:
    """An event and its deliveries as a write that must not call Temporal records them: nothing started yet."""
    for url in urls:
        WebhookEndpoint.objects.create(partner=partner, url=url, events=[domain.ORDER_CONFIRMED], secret="whsec_d")
    dedupe_key = order_event_dedupe_key(number, domain.ORDER_CONFIRMED)
    deliveries = webhook_event_publish(
        partner_id=partner.pk,
        event_type=domain.ORDER_CONFIRMED,
        data={"number": number, "status": "confirmed"},
        dedupe_key=dedupe_key,
        start_deliveries=False,
    )
    return dedupe_key, deliveries


def runs_of(workflow_id: str) -> list[str]:
    async def call(client):  # type: ignore[no-untyped-def]
        return [run.run_id async for run in client.list_workflows(f'WorkflowId = "{workflow_id}"')]

    return temporal.run(call)


def dispatch(inp: DispatchInput) -> list[int]:
    try:
        return ActivityEnvironment().run(webhooks_dispatch, inp)
    finally:
        connection.close()  # a thread's own connection


def test_dispatch_runs_on_the_webhook_queue_and_its_input_survives_temporals_converter() -> None:
    assert webhooks_dispatch in collect_components()[WEBHOOK].activities
    inp = DispatchInput(delivery_ids=[3, 1], dedupe_keys=["O-1:order.created"])
    converter = DataConverter.default.payload_converter
    assert converter.from_payloads(converter.to_payloads([inp]), [DispatchInput]) == [inp]
    assert converter.from_payloads(converter.to_payloads([{}]), [DispatchInput]) == [DispatchInput()]


def test_dispatching_twice_starts_one_delivery_workflow_per_delivery(live_oms) -> None:
    partner = Partner.objects.create(name=f"dispatch-{uuid.uuid4().hex[:8]}")
    with settings_override(**FAST_RETRIES), receiver() as first, receiver() as second:
        dedupe_key, deliveries = recorded_event(partner, f"N-{uuid.uuid4().hex[:8]}", [first.url, second.url])
        assert len(deliveries) == 2
        assert not any(workflow_exists(delivery_workflow_id(delivery_id)) for delivery_id in deliveries)
        by_id, by_key = DispatchInput(delivery_ids=deliveries), DispatchInput(dedupe_keys=[dedupe_key])
        with ThreadPoolExecutor(max_workers=2) as pool:  # two dispatches at once, as two retries might overlap
            started = list(pool.map(dispatch, [by_id, by_key]))
        assert started == [deliveries, deliveries]
        for delivery_id in deliveries:
            wait_for(lambda delivery_id=delivery_id: delivery_status(delivery_id) == "succeeded")
        # Once delivered, a late repeat starts nothing.
        assert dispatch(by_id) == [] and dispatch(by_key) == []

    assert len(first.requests) == 1 and len(second.requests) == 1
    for delivery_id in deliveries:
        workflow_id = delivery_workflow_id(delivery_id)
        wait_for(lambda workflow_id=workflow_id: bool(runs_of(workflow_id)))
        assert len(runs_of(workflow_id)) == 1

        async def queue_of(client, workflow_id=workflow_id):  # type: ignore[no-untyped-def]
            return (await client.get_workflow_handle(workflow_id).describe()).task_queue

        assert temporal.run(queue_of) == settings.WEBHOOK_TASK_QUEUE
        assert WebhookDelivery.objects.get(pk=delivery_id).attempt_count == 1
