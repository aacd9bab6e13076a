"""What the order task queue runs (collected by oms_project.workers)."""

from oms_project.workers import ORDER, WorkerComponents
from orders.activities import ACTIVITIES
from orders.workflows import OrderWorkflow

COMPONENTS = [WorkerComponents(queue=ORDER, workflows=[OrderWorkflow], activities=ACTIVITIES)]
