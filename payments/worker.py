"""Payment activities run on the order queue, next to the order workflow that calls them."""

from oms_project.workers import ORDER, WorkerComponents
from payments import activities

COMPONENTS = [
    WorkerComponents(
        queue=ORDER,
        activities=[
            activities.payment_authorize,
            activities.payment_capture,
            activities.payment_void,
            activities.payment_refund,
            activities.payment_authorize_more,
        ],
    )
]
