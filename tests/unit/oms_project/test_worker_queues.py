"""The webhook task queue: what runs there, and activity threads that are each queue's own."""

from __future__ import annotations

import threading

from django.conf import settings

from oms_project.workers import CART, ORDER, QUEUES, WEBHOOK, ActivityPools, collect_components, task_queue_name
from orders.activities import ACTIVITIES as ORDER_ACTIVITIES
from webhooks.activities import webhooks_deliver, webhooks_dispatch, webhooks_mark_failed, webhooks_publish
from webhooks.workflows import WebhookDeliveryWorkflow


def test_deliveries_run_on_the_webhook_queue_and_order_work_does_not() -> None:
    assert WEBHOOK in QUEUES and task_queue_name(WEBHOOK) == settings.WEBHOOK_TASK_QUEUE == "WEBHOOK_TASK_QUEUE"
    components = collect_components()
    webhook = components[WEBHOOK]
    assert webhook.workflows == [WebhookDeliveryWorkflow]
    assert set(webhook.activities) == {webhooks_dispatch, webhooks_deliver, webhooks_mark_failed}
    assert set(ORDER_ACTIVITIES) <= set(components[ORDER].activities)
    assert not set(ORDER_ACTIVITIES) & set(webhook.activities)
    # Still on the order queue: webhooks.publish (old order histories schedule it there) and the delivery
    # workflows started there before the webhook queue existed, which finish where they started.
    order = components[ORDER]
    assert WebhookDeliveryWorkflow in order.workflows
    assert {webhooks_publish, webhooks_deliver, webhooks_mark_failed} <= set(order.activities)
    assert webhooks_dispatch not in order.activities


def test_webhook_threads_all_blocked_do_not_hold_up_order_activities() -> None:
    release = threading.Event()
    with ActivityPools(max_workers=1) as pools:  # two threads per queue (regular + local activities)
        webhook = pools.for_queue(WEBHOOK)
        assert pools.for_queue(WEBHOOK) is webhook and pools.for_queue(ORDER) is not webhook
        assert pools.for_queue(CART) is pools.for_queue(ORDER)  # as before: their connection budget is unchanged
        blocked = [webhook.submit(release.wait, 30) for _ in range(2)]  # two receivers that do not answer
        behind = webhook.submit(lambda: "webhook")
        try:
            assert pools.for_queue(ORDER).submit(lambda: "order").result(timeout=10) == "order"
            assert not behind.done()  # the webhook queue's own work waits for its own threads
        finally:
            release.set()
        assert behind.result(timeout=10) == "webhook" and all(future.result(timeout=10) for future in blocked)
