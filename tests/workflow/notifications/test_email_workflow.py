"""EmailWorkflow on the time-skipping server with the real activities, a real SMTP server and the real database:
sent once; a mail server that stays away for the whole budget (hours, skipped) ends "failed"; the histories replay."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer

from notifications.contracts import EmailWorkflowInput, email_workflow_id
from notifications.models import Email
from notifications.services import retry_schedule
from notifications.workflows import EmailWorkflow
from oms_project.workers import workflow_runner
from tests.integration.notifications.helpers import pending_email
from tests.smtp_sink import free_port, smtp_sink
from tests.temporal_env import settings_override, workers_on

pytestmark = pytest.mark.django_db(transaction=True)


HISTORIES = Path(__file__).resolve().parents[1] / "replay" / "histories"


def replayer() -> Replayer:
    return Replayer(workflows=[EmailWorkflow], workflow_runner=workflow_runner())


async def run(client: Client, queue: str, email_id: int, name: str) -> str:
    """Run one e-mail's workflow to its end; its history replays, and is stored as ``histories/<name>.json`` the
    first time (``OMS_RECORD_HISTORIES=1``), so later code must replay it too."""
    handle = await client.start_workflow(
        EmailWorkflow.run,
        EmailWorkflowInput(email_id=email_id, schedule=retry_schedule()),
        id=email_workflow_id(email_id),
        task_queue=queue,
    )
    result = await handle.result()
    history = await handle.fetch_history()
    await replayer().replay_workflow(history)
    path = HISTORIES / f"{name}.json"
    record = os.environ.get("OMS_RECORD_HISTORIES", "")
    if record == "all" or (record and not path.exists()):
        path.write_text(history.to_json())
    return result


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("email_*.json")), ids=lambda p: p.stem)
async def test_recorded_email_histories_replay(path: Path) -> None:
    await replayer().replay_workflow(WorkflowHistory.from_json(email_workflow_id(0), path.read_text()))


async def test_an_email_is_sent_once_and_a_server_away_for_the_whole_budget_ends_failed(skip_env) -> None:  # type: ignore[no-untyped-def]
    sent_id = (await sync_to_async(pending_email)("wf-email-sent")).pk
    failed_id = (await sync_to_async(pending_email)("wf-email-failed")).pk
    async with workers_on(skip_env.client) as queues:
        with smtp_sink() as sink, settings_override(**sink.settings()):
            assert await run(skip_env.client, queues["email"], sent_id, "email_sent") == "sent"
        away = {**sink.settings(), "EMAIL_PORT": free_port(), "EMAIL_GIVE_UP_AFTER": timedelta(hours=3)}
        with settings_override(**away):  # nobody listens for the whole budget (skipped through)
            assert await run(skip_env.client, queues["email"], failed_id, "email_gave_up") == "failed"
    assert [message["Message-ID"] for message in sink.received()] == [f"<oms-email-{sent_id}@oms.localhost>"]
    sent, failed = [await Email.objects.aget(pk=pk) for pk in (sent_id, failed_id)]
    assert (sent.status, sent.attempts) == ("sent", 1)
    assert failed.status == "failed" and failed.attempts >= 10 and "ConnectionRefusedError" in failed.last_error
