"""What the webhook task queue runs (collected by oms_project.workers), and what stays on the order queue."""

from oms_project.workers import ORDER, WEBHOOK, WorkerComponents
from webhooks.activities import webhooks_deliver, webhooks_dispatch, webhooks_mark_failed, webhooks_publish
from webhooks.workflows import WebhookDeliveryWorkflow

COMPONENTS = [
    # Deliveries start here (WEBHOOK_TASK_QUEUE): their slots and threads are not the orders' (ADR 0054).
    WorkerComponents(
        queue=WEBHOOK,
        workflows=[WebhookDeliveryWorkflow],
        activities=[webhooks_dispatch, webhooks_deliver, webhooks_mark_failed],
    ),
    # On the order queue: ``webhooks.publish``, which orders recorded before ADR 0043 still schedule there, and the
    # delivery workflows started there before WEBHOOK_TASK_QUEUE existed (a run finishes on its queue). Those drain
    # within WEBHOOK_GIVE_UP_AFTER of the upgrade; then the delivery part of this entry can go.
    WorkerComponents(
        queue=ORDER,
        workflows=[WebhookDeliveryWorkflow],
        activities=[webhooks_publish, webhooks_deliver, webhooks_mark_failed],
    ),
]
