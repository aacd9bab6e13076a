from notifications.activities import (
    notifications_email_dispatch,
    notifications_email_mark_failed,
    notifications_email_send,
)
from notifications.workflows import EmailWorkflow
from oms_project.workers import EMAIL, WorkerComponents

COMPONENTS = [
    WorkerComponents(
        queue=EMAIL,
        workflows=[EmailWorkflow],
        activities=[notifications_email_dispatch, notifications_email_send, notifications_email_mark_failed],
    )
]
