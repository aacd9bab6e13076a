"""What the order task queue runs (collected by oms_project.workers)."""

from oms_project.workers import ORDER, WorkerComponents
from orders.activities import ACTIVITIES
from orders.workflows import OrderWorkflow
from orders.workflows_v1 import OrderWorkflowV1

# OrderWorkflowV1 runs until the orders placed before the order process v2 have ended (ADR 0044).
COMPONENTS = [WorkerComponents(queue=ORDER, workflows=[OrderWorkflow, OrderWorkflowV1], activities=ACTIVITIES)]
