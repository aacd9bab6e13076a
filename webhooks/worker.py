from oms_project.workers import ORDER, WorkerComponents
from webhooks.activities import webhooks_deliver, webhooks_mark_failed, webhooks_publish
from webhooks.workflows import WebhookDeliveryWorkflow

COMPONENTS = [
    WorkerComponents(
        queue=ORDER,
        workflows=[WebhookDeliveryWorkflow],
        activities=[webhooks_publish, webhooks_deliver, webhooks_mark_failed],
    )
]
