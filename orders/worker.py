"""What the order task queue runs (collected by oms_project.workers)."""

from oms_project.workers import CART, ORDER, WorkerComponents
from orders.activities import ACTIVITIES, CART_ACTIVITIES
from orders.workflows import OrderWorkflow
from orders.workflows_shipment import ShipmentWorkflow
from orders.workflows_v1 import OrderWorkflowV1

COMPONENTS = [
    # OrderWorkflowV1 runs until the orders placed before the order process v2 have ended (ADR 0044).
    WorkerComponents(queue=ORDER, workflows=[OrderWorkflow, ShipmentWorkflow, OrderWorkflowV1], activities=ACTIVITIES),
    # The cart's checkout starts its order from the cart queue (one durable step with closing the cart).
    WorkerComponents(queue=CART, workflows=[], activities=CART_ACTIVITIES),
]
