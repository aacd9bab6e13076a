"""What the project itself runs on a worker (collected by oms_project.workers): the retention purge."""

from oms_project.retention_activities import retention_purge
from oms_project.retention_workflows import RetentionPurgeWorkflow
from oms_project.workers import ORDER, WorkerComponents

COMPONENTS = [
    # On the order queue: a few short DELETE transactions per interval; a queue of its own would cost every
    # deployment another poller set for that (ADR 0140).
    WorkerComponents(queue=ORDER, workflows=[RetentionPurgeWorkflow], activities=[retention_purge]),
]
