"""Stock activities run on the order queue, next to the order workflow that calls them."""

from catalog import activities
from oms_project.workers import ORDER, WorkerComponents

COMPONENTS = [
    WorkerComponents(
        queue=ORDER,
        activities=[
            activities.stock_reserve,
            activities.stock_release,
            activities.stock_fulfil,
            activities.stock_restock,
        ],
    )
]
