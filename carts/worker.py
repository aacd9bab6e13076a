from carts.activities import cart_price_skus, cart_record_status
from carts.workflows import CartWorkflow
from oms_project.workers import CART, WorkerComponents

COMPONENTS = [WorkerComponents(queue=CART, workflows=[CartWorkflow], activities=[cart_price_skus, cart_record_status])]
