"""Webhook writes: endpoints, publishing events, recording attempts, retrying deliveries."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from oms_project import temporal
from oms_project.errors import InvalidInput, NotFound
from partners.models import Partner
from webhooks import domain, targets
from webhooks.contracts import DeliveryWorkflowInput, RetrySchedule, delivery_workflow_id
from webhooks.errors import DeliveryNotRetryable, TooManyWebhookEndpoints
from webhooks.fairness import PARTNER_SLOTS
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.workflows import WebhookDeliveryWorkflow

SECRET_PREFIX = "whsec_"  # nosec B105 # the public prefix of generated secrets, not a secret


def validate_events(events: Iterable[str]) -> list[str]:
    cleaned = list(dict.fromkeys(events))
    unknown = [event for event in cleaned if event not in domain.EVENT_TYPES]
    if not cleaned or unknown:
        raise InvalidInput(
            f"events must be one or more of {', '.join(domain.EVENT_TYPES)}"
            + (f"; unknown: {', '.join(map(str, unknown))}" if unknown else ""),
            field="events",
        )
    return cleaned


def webhook_endpoint_create(*, partner: Partner, url: str, events: Iterable[str]) -> WebhookEndpoint:
    """Register a target; the caller shows ``endpoint.secret`` once (it is never rendered again).

    At most ``WEBHOOK_MAX_ENDPOINTS_PER_PARTNER`` live endpoints per partner (deleted ones do not count): each
    event is one delivery per endpoint, so the cap bounds what one partner puts on the webhook queue."""
    clean_events = validate_events(events)
    targets.check_target(url)
    limit = settings.WEBHOOK_MAX_ENDPOINTS_PER_PARTNER
    with transaction.atomic():
        # The partner's row lock makes count-then-insert one step: two racing creates cannot both take the last place.
        Partner.objects.select_for_update().filter(pk=partner.pk).first()
        live = WebhookEndpoint.objects.filter(partner=partner, is_active=True, deleted_at__isnull=True).count()
        if live >= limit:
            raise TooManyWebhookEndpoints(
                f"A partner may have at most {limit} webhook endpoints; delete one before adding another."
            )
        return WebhookEndpoint.objects.create(
            partner=partner, url=url.strip(), events=clean_events, secret=SECRET_PREFIX + secrets.token_urlsafe(32)
        )


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Soft delete: no new deliveries; past deliveries stay visible to staff."""
    endpoint.is_active = False
    endpoint.deleted_at = timezone.now()
    endpoint.save(update_fields=["is_active", "deleted_at"])


def retry_schedule() -> RetrySchedule:
    return RetrySchedule(
        initial_interval_seconds=settings.WEBHOOK_RETRY_INITIAL_INTERVAL.total_seconds(),
        backoff=settings.WEBHOOK_RETRY_BACKOFF,
        max_interval_seconds=settings.WEBHOOK_RETRY_MAX_INTERVAL.total_seconds(),
        give_up_after_seconds=settings.WEBHOOK_GIVE_UP_AFTER.total_seconds(),
        request_timeout_seconds=settings.WEBHOOK_TIMEOUT.total_seconds(),
    )


def webhook_partner_has_endpoints(*, partner_id: int) -> bool:
    """Whether the partner has ever had an endpoint (deleted or inactive ones count): one indexed query. A partner
    that never had one can have no stored event and no delivery, so its publishers may skip rendering the event's
    body and every other lookup (issue #19: the order body was rendered on every order write for nobody). A
    partner whose endpoints were all deleted still takes the full path: its earlier events and their pending
    deliveries must still be found by a repeat."""
    return WebhookEndpoint.objects.filter(partner_id=partner_id).exists()


def _subscribed_endpoints(*, partner_id: int, event_type: str) -> list[WebhookEndpoint]:
    endpoints = WebhookEndpoint.objects.filter(partner_id=partner_id, is_active=True, deleted_at__isnull=True)
    return [endpoint for endpoint in endpoints.order_by("pk") if event_type in endpoint.events]


def _event_get_or_create(
    *, partner_id: int, event_type: str, data: dict, dedupe_key: str
) -> tuple[WebhookEvent | None, bool]:
    """The event and whether this call created it; ``None`` when no endpoint of the partner subscribes to its type.

    An event is only the body its deliveries send: with no delivery nobody will ever read it, and storing it made
    ``webhooks_webhookevent`` the largest table (issue #19). An endpoint created later receives later events only,
    as before."""
    existing = WebhookEvent.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing, False
    endpoints = _subscribed_endpoints(partner_id=partner_id, event_type=event_type)
    if not endpoints:
        return None, False
    event_id = uuid.uuid4()
    created_at = timezone.now()
    body = domain.event_body(event_id=str(event_id), event_type=event_type, created_at=created_at, data=data)
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                event_id=event_id,
                partner_id=partner_id,
                type=event_type,
                dedupe_key=dedupe_key,
                data=data,
                body=body,
                created_at=created_at,
            )
            WebhookDelivery.objects.bulk_create(
                WebhookDelivery(event=event, endpoint=endpoint, next_attempt_at=created_at) for endpoint in endpoints
            )
    except IntegrityError:  # a concurrent publish with the same key won
        return WebhookEvent.objects.get(dedupe_key=dedupe_key), False
    return event, True


def webhook_event_publish(
    *, partner_id: int | None, event_type: str, data: dict, dedupe_key: str, start_deliveries: bool = True
) -> list[int]:
    """Record the event once (by ``dedupe_key``) and start one delivery workflow per subscribed endpoint; an event
    no endpoint subscribes to is not stored.

    Returns the delivery ids. Only starts workflows, never sends, so it returns at once whatever the receivers
    do. Safe to repeat: the event and its deliveries exist once, and only still-pending deliveries are
    (re)started, attaching to the workflow when it runs. ``start_deliveries=False`` only records them: for a
    database write that must not call Temporal; its workflow then schedules ``webhooks.dispatch``.
    """
    if event_type not in domain.EVENT_TYPES:
        raise InvalidInput(f"Unknown webhook event type {event_type!r}.", field="event_type")
    if not dedupe_key or len(dedupe_key) > 255:
        raise InvalidInput("dedupe_key must be 1 to 255 characters.", field="dedupe_key")
    if partner_id is None:
        return []  # orders from the shop's own pages have no partner to notify
    if not Partner.objects.filter(pk=partner_id).exists():
        raise NotFound(f"Partner {partner_id} does not exist.", field="partner_id")
    event, _ = _event_get_or_create(partner_id=partner_id, event_type=event_type, data=data, dedupe_key=dedupe_key)
    if event is None:
        return []  # nobody subscribes: nothing to store or send
    deliveries = list(event.deliveries.order_by("pk").values_list("pk", "status"))
    pending = [delivery_id for delivery_id, status in deliveries if status == WebhookDelivery.Status.PENDING]
    if pending and start_deliveries:
        # Immediately when called outside a transaction (the activity); after commit inside one, so a worker
        # never looks for a delivery row it cannot see yet.
        transaction.on_commit(lambda: webhook_deliveries_start(delivery_ids=pending))
    return [delivery_id for delivery_id, _ in deliveries]


def webhook_deliveries_start(*, delivery_ids: Iterable[int] = (), dedupe_keys: Iterable[str] = ()) -> list[int]:
    """Start the delivery workflow (on WEBHOOK_TASK_QUEUE) of each still-pending delivery among ``delivery_ids``
    and of the events with these ``dedupe_keys``; returns the ids started. The one place deliveries start
    (publish, staff retry, the ``webhooks.dispatch`` activity). Repeat-safe: the workflow id is the delivery's,
    so a repeat attaches to the running workflow, and a finished delivery (no longer pending) is left alone."""
    delivery_ids, dedupe_keys = list(delivery_ids), list(dedupe_keys)
    if not delivery_ids and not dedupe_keys:
        return []
    pending = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).filter(
        Q(pk__in=delivery_ids) | Q(event__dedupe_key__in=dedupe_keys)
    )
    started = list(pending.order_by("pk").values_list("pk", flat=True))
    schedule = retry_schedule()
    for delivery_id in started:
        temporal.start_workflow(
            WebhookDeliveryWorkflow.run,
            DeliveryWorkflowInput(delivery_id=delivery_id, schedule=schedule),
            workflow_id=delivery_workflow_id(delivery_id),
            task_queue=settings.WEBHOOK_TASK_QUEUE,
        )
    return started


def webhook_delivery_retry(*, delivery_id: int) -> WebhookDelivery:
    """Staff: send a failed (or stuck pending) delivery again through a new workflow run."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None:
            raise NotFound(f"Webhook delivery {delivery_id} does not exist.")
        if delivery.status == WebhookDelivery.Status.SUCCEEDED:
            raise DeliveryNotRetryable(f"Delivery {delivery_id} has already succeeded.")
        delivery.status = WebhookDelivery.Status.PENDING
        delivery.next_attempt_at = timezone.now()
        delivery.completed_at = None
        delivery.save(update_fields=["status", "next_attempt_at", "completed_at", "updated_at"])
    transaction.on_commit(lambda: webhook_deliveries_start(delivery_ids=[delivery_id]))
    return delivery


# --- Used by the delivery activities ---------------------------------------------------------------------


def _attempt_record(
    *,
    delivery: WebhookDelivery,
    idempotency_key: str,
    status_code: int | None,
    error: str,
    duration_ms: int,
    succeeded: bool,
    next_attempt_at: datetime | None,
) -> WebhookAttempt:
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        attempt = WebhookAttempt.objects.filter(idempotency_key=idempotency_key).first()
        if attempt is not None:
            return attempt
        now = timezone.now()
        locked.attempt_count += 1
        attempt = WebhookAttempt.objects.create(
            delivery=locked,
            number=locked.attempt_count,
            idempotency_key=idempotency_key,
            at=now,
            status_code=status_code,
            error=error[:2000],
            duration_ms=duration_ms,
        )
        locked.last_status_code = status_code
        locked.last_error = error[:2000]
        if succeeded:  # even one that finished after the budget ran out: the receiver has the event
            locked.status = WebhookDelivery.Status.SUCCEEDED
            locked.completed_at = now
            locked.next_attempt_at = None
        elif locked.status == WebhookDelivery.Status.PENDING:  # a late attempt must not revive a failed one
            locked.next_attempt_at = next_attempt_at
        locked.save()
        return attempt


class DeliveryAttemptFailed(Exception):
    """A retryable failure of one attempt (non-2xx, timeout, refused target): Temporal retries it."""


class DeliveryGone(Exception):
    """The delivery or its endpoint no longer exists: nothing to retry."""


class PartnerBusy(Exception):
    """Every delivery slot of the partner in this worker process is taken: nothing was sent or recorded."""


def webhook_attempts_made(*, delivery_id: int, run_key: str) -> int:
    """Attempts recorded for this delivery by one workflow run (``run_key`` = "<workflow id>:<run id>"): the
    attempt number the backoff counts, which bounces for a busy partner never raise."""
    return WebhookAttempt.objects.filter(delivery_id=delivery_id, idempotency_key__startswith=f"{run_key}:").count()


def attempt_error(target: targets.Target, response: targets.Response) -> str:
    """A refused attempt's error, shown to the partner and staff: the receiver's first 200 characters only for a
    public receiver. A private or loopback one (allowed by WEBHOOK_ALLOW_PRIVATE_TARGETS) is some internal service,
    whose answer must not be read back through a webhook."""
    if targets.is_public(target):
        return f"HTTP {response.status_code}: {response.body_excerpt[:200]}"
    return f"HTTP {response.status_code} (the answer of a non-public receiver is not recorded)"


def webhook_delivery_attempt(
    *, delivery_id: int, idempotency_key: str, timeout: float, next_attempt_at: datetime | None
) -> WebhookAttempt | None:
    """Send one attempt and record it. Returns None when the delivery already succeeded (repeat-safe).

    Raises ``PartnerBusy`` without sending when the partner already has ``WEBHOOK_PARTNER_CONCURRENCY``
    attempts in flight in this process (docs/webhooks.md "Limits and fairness")."""
    delivery = WebhookDelivery.objects.select_related("endpoint", "event").filter(pk=delivery_id).first()
    if delivery is None:
        raise DeliveryGone(f"Webhook delivery {delivery_id} does not exist.")
    if delivery.status == WebhookDelivery.Status.SUCCEEDED:
        return None
    endpoint = delivery.endpoint
    if endpoint.deleted_at is not None or not endpoint.is_active:
        raise DeliveryGone("The webhook endpoint was deleted or deactivated.")
    with PARTNER_SLOTS.take(endpoint.partner_id, limit=settings.WEBHOOK_PARTNER_CONCURRENCY) as taken:
        if not taken:
            raise PartnerBusy(f"Partner {endpoint.partner_id} has every delivery slot of this worker in use.")
        return _send_and_record(
            delivery, idempotency_key=idempotency_key, timeout=timeout, next_attempt_at=next_attempt_at
        )


def _send_and_record(
    delivery: WebhookDelivery, *, idempotency_key: str, timeout: float, next_attempt_at: datetime | None
) -> WebhookAttempt:
    endpoint, event = delivery.endpoint, delivery.event
    body = event.body.encode()
    started = time.monotonic()
    status_code: int | None = None
    error = ""
    try:
        target = targets.check_target(endpoint.url)  # again at send time: DNS may have changed
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "OMS-Webhooks/1",
            domain.EVENT_ID_HEADER: str(event.event_id),
            domain.SIGNATURE_HEADER: domain.sign(secret=endpoint.secret, timestamp=timestamp, body=event.body),
        }
        response = targets.post(target, body=body, headers=headers, timeout=timeout)
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = attempt_error(target, response)
    except Exception as exc:  # every failure of one attempt is recorded, then retried by Temporal
        error = f"{type(exc).__name__}: {exc}"
    duration_ms = int((time.monotonic() - started) * 1000)
    attempt = _attempt_record(
        delivery=delivery,
        idempotency_key=idempotency_key,
        status_code=status_code,
        error=error,
        duration_ms=duration_ms,
        succeeded=not error,
        next_attempt_at=None if not error else next_attempt_at,
    )
    if error:
        raise DeliveryAttemptFailed(error)
    return attempt


def webhook_delivery_mark_failed(*, delivery_id: int, reason: str) -> None:
    """The retry budget is spent: the delivery stays visible as failed until staff retry it."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.status == WebhookDelivery.Status.SUCCEEDED:
            return
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.completed_at = timezone.now()
        delivery.next_attempt_at = None
        # Keep the last attempt's error (more useful to the partner); say why when nothing was attempted.
        delivery.last_error = delivery.last_error or reason[:2000]
        delivery.save()
