"""What the return process runs (collected by oms_project.workers): on the order queue, beside the orders it
belongs to (docs/returns.md "Task queue")."""

from oms_project.workers import ORDER, WorkerComponents
from returns.activities import ACTIVITIES
from returns.workflows import ReturnWorkflow

COMPONENTS = [WorkerComponents(queue=ORDER, workflows=[ReturnWorkflow], activities=ACTIVITIES)]
