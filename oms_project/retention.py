"""Retention: what the database may forget, and when (issue #19; ADR 0140; docs/observability.md "Retention").

Three tables grow with every order and nothing else ever shrinks them. One policy per table says which rows have
expired at a given ``now``; ``retention_purge`` deletes them in bounded batches (one short transaction each), so a
backlog never holds long locks. The ``retention-purge`` Temporal Schedule runs ``RetentionPurgeWorkflow``
(``oms_project.retention_workflows``) every ``RETENTION_INTERVAL``; ``manage.py purge [--dry-run]`` runs the same
code by hand.

What is never deleted, whatever the settings:
- an idempotency record inside its key's window (``ORDER_IDEMPOTENCY_TTL``): a retry must still replay its answer;
- a webhook event any of whose deliveries is pending (first attempt or retrying): its workflow reads the body;
- an open cart.

Deleting is idempotent: a policy deletes only rows expired at ``now``, so running it twice, or retrying a batch
whose transaction did commit, deletes nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from carts.models import Cart
from oms_project import temporal
from oms_project.models import IdempotencyRecord
from oms_project.retention_contracts import (
    POLICY_NAMES,
    SCHEDULE_ID,
    WORKFLOW_ID,
    PurgeRunInput,
)
from oms_project.retention_workflows import RetentionPurgeWorkflow
from webhooks.models import WebhookDelivery, WebhookEvent


@dataclass(frozen=True)
class Policy:
    name: str
    table: str  # what operators see in the database and in bench/soak.py
    keep: Callable[[], timedelta]  # read from settings on every run: a changed setting applies at the next run
    expired: Callable[[datetime], QuerySet]  # the rows expired at the cutoff
    delete: Callable[[list[int], datetime], int]  # delete those of the ids still expired; returns rows of the table


def _idempotency_keep() -> timedelta:
    configured = settings.IDEMPOTENCY_RETENTION
    if not configured:
        return configured  # 0: kept forever
    return max(configured, settings.ORDER_IDEMPOTENCY_TTL)  # never inside the key's window


def _idempotency_expired(cutoff: datetime) -> QuerySet:
    return IdempotencyRecord.objects.filter(created_at__lt=cutoff)


def _idempotency_delete(ids: list[int], cutoff: datetime) -> int:
    # The condition is repeated in the DELETE: a key reused since the select has a new, recent row anyway.
    deleted, _ = _idempotency_expired(cutoff).filter(pk__in=ids).delete()
    return deleted


def _webhook_events_expired(cutoff: datetime) -> QuerySet:
    return WebhookEvent.objects.filter(created_at__lt=cutoff).exclude(deliveries__status=WebhookDelivery.Status.PENDING)


def _webhook_events_delete(ids: list[int], cutoff: datetime) -> int:
    with transaction.atomic():
        # Lock the batch's deliveries and look at them again: a staff retry (webhook_delivery_retry) sets a failed
        # delivery back to pending under the same row lock, so either it waits for this delete (and then finds no
        # delivery: 404) or this sees it pending and keeps the event.
        locked = WebhookDelivery.objects.select_for_update().filter(event_id__in=ids).values_list("event_id", "status")
        keep = {event_id for event_id, status in locked if status == WebhookDelivery.Status.PENDING}
        doomed = [pk for pk in ids if pk not in keep]
        deleted = WebhookEvent.objects.filter(pk__in=doomed, created_at__lt=cutoff).delete()[1]
    return deleted.get(WebhookEvent._meta.label, 0)  # deliveries and attempts go with their event (CASCADE)


def _closed_carts_expired(cutoff: datetime) -> QuerySet:
    return Cart.objects.exclude(status=Cart.Status.OPEN).filter(updated_at__lt=cutoff)


def _closed_carts_delete(ids: list[int], cutoff: datetime) -> int:
    deleted, _ = _closed_carts_expired(cutoff).filter(pk__in=ids).delete()
    return deleted


POLICIES: dict[str, Policy] = {
    policy.name: policy
    for policy in (
        Policy(
            name="idempotency",
            table=IdempotencyRecord._meta.db_table,
            keep=_idempotency_keep,
            expired=_idempotency_expired,
            delete=_idempotency_delete,
        ),
        Policy(
            name="webhook_events",
            table=WebhookEvent._meta.db_table,
            keep=lambda: settings.WEBHOOK_EVENT_RETENTION,
            expired=_webhook_events_expired,
            delete=_webhook_events_delete,
        ),
        Policy(
            name="closed_carts",
            table=Cart._meta.db_table,
            keep=lambda: settings.CLOSED_CART_RETENTION,
            expired=_closed_carts_expired,
            delete=_closed_carts_delete,
        ),
    )
}
assert tuple(POLICIES) == POLICY_NAMES, "retention_contracts.POLICY_NAMES lists the policies the workflow runs"


def retention_cutoff(*, policy: str, now: datetime) -> datetime | None:
    """Rows of ``policy`` older than this have expired at ``now``; None: the policy keeps everything (set to 0)."""
    keep = POLICIES[policy].keep()
    return now - keep if keep > timedelta(0) else None


def retention_expired_count(*, policy: str, now: datetime) -> int:
    """How many rows a purge at ``now`` would delete (``manage.py purge --dry-run``)."""
    cutoff = retention_cutoff(policy=policy, now=now)
    return 0 if cutoff is None else POLICIES[policy].expired(cutoff).count()


def retention_purge_batch(*, policy: str, now: datetime, batch_size: int) -> int:
    """Delete at most ``batch_size`` rows of ``policy`` expired at ``now``, oldest first; returns how many."""
    cutoff = retention_cutoff(policy=policy, now=now)
    if cutoff is None:
        return 0
    rules = POLICIES[policy]
    ids = list(rules.expired(cutoff).order_by("pk").values_list("pk", flat=True)[:batch_size])
    return rules.delete(ids, cutoff) if ids else 0


@dataclass(frozen=True)
class PurgeOutcome:
    policy: str
    deleted: int
    batches: int


def retention_purge(
    *, policy: str, now: datetime, batch_size: int | None = None, on_batch: Callable[[int], None] | None = None
) -> PurgeOutcome:
    """Delete every row of ``policy`` expired at ``now``, a batch at a time, until a batch comes back short.

    ``on_batch(deleted_so_far)`` runs after each batch (the activity heartbeats there). Rows kept by the policy
    (a pending delivery) are never selected, so the loop ends even when some old rows must stay.
    """
    size = batch_size or settings.RETENTION_BATCH_SIZE
    deleted = batches = 0
    while True:
        count = retention_purge_batch(policy=policy, now=now, batch_size=size)
        deleted += count
        batches += 1
        if on_batch is not None:
            on_batch(deleted)
        if count < size:
            return PurgeOutcome(policy=policy, deleted=deleted, batches=batches)


# --- The schedule ----------------------------------------------------------------------------------------


def retention_schedule_spec() -> temporal.IntervalSchedule:
    return temporal.IntervalSchedule(
        schedule_id=SCHEDULE_ID,
        workflow=RetentionPurgeWorkflow.run,
        arg=PurgeRunInput(),
        workflow_id=WORKFLOW_ID,
        task_queue=settings.ORDER_TASK_QUEUE,
        every=settings.RETENTION_INTERVAL,
        note="Deletes expired idempotency records, webhook events and closed carts (oms_project.retention).",
    )


def retention_schedule_apply() -> str:
    """Make the ``retention-purge`` schedule match the settings: created or updated when ``RETENTION_ENABLED``,
    deleted otherwise. Idempotent; ``run_workers`` calls it at startup. Returns what it did."""
    if settings.RETENTION_ENABLED:
        return temporal.schedule_upsert(retention_schedule_spec())
    return "deleted" if temporal.schedule_delete(SCHEDULE_ID) else "absent"
