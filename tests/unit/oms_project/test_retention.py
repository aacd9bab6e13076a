"""Retention policies on the real database (issue #19): a purge deletes exactly the rows expired at its ``now``,
keeps what is still needed (an idempotency key inside its window, an event with a delivery pending, an open cart),
works in bounded batches and is harmless when run twice. Time is in the rows' timestamps, never in sleeps."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from carts.models import Cart
from oms_project import retention
from oms_project.models import IdempotencyRecord
from partners.models import Partner
from tests.temporal_env import settings_override
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db

NOW = timezone.now()
DEFAULTS = {
    "IDEMPOTENCY_RETENTION": timedelta(hours=48),
    "ORDER_IDEMPOTENCY_TTL": timedelta(hours=24),
    "WEBHOOK_EVENT_RETENTION": timedelta(days=30),
    "CLOSED_CART_RETENTION": timedelta(days=30),
}


@pytest.fixture(autouse=True)
def retention_settings():  # type: ignore[no-untyped-def]
    with settings_override(**DEFAULTS):
        yield


def idempotency_record(key: str, age: timedelta) -> IdempotencyRecord:
    at = NOW - age
    return IdempotencyRecord.objects.create(
        owner="partner:1", key=key, scope="orders.create", request_hash="h", created_at=at, claimed_at=at
    )


def webhook_event(partner: Partner, key: str, age: timedelta, *deliveries: tuple[WebhookEndpoint, str]) -> WebhookEvent:
    event = WebhookEvent.objects.create(
        partner=partner, type="order.created", dedupe_key=key, body="{}", created_at=NOW - age
    )
    for endpoint, status in deliveries:
        delivery = WebhookDelivery.objects.create(event=event, endpoint=endpoint, status=status)
        WebhookAttempt.objects.create(delivery=delivery, number=1, idempotency_key=f"{key}:{endpoint.pk}", at=NOW)
    return event


def cart(status: str, age: timedelta, session: str) -> Cart:
    row = Cart.objects.create(session_key=session, currency="EUR", status=status)
    Cart.objects.filter(pk=row.pk).update(updated_at=NOW - age)  # updated_at is auto_now: set it afterwards
    return row


def purge_all(now: datetime = NOW, batch_size: int = 500) -> dict[str, int]:
    return {
        name: retention.retention_purge(policy=name, now=now, batch_size=batch_size).deleted
        for name in retention.POLICIES
    }


def test_idempotency_records_go_after_their_retention_and_never_inside_the_key_window() -> None:
    old = idempotency_record("old", timedelta(hours=49))
    kept = idempotency_record("within-retention", timedelta(hours=47))
    fresh = idempotency_record("fresh", timedelta(minutes=5))

    assert retention.retention_purge(policy="idempotency", now=NOW).deleted == 1
    assert set(IdempotencyRecord.objects.values_list("key", flat=True)) == {"within-retention", "fresh"}
    assert not IdempotencyRecord.objects.filter(pk=old.pk).exists()

    # A retention configured shorter than the key's window is raised to the window: a retry within 24 h must
    # still replay its answer.
    with settings_override(IDEMPOTENCY_RETENTION=timedelta(hours=1)):
        assert retention.retention_purge(policy="idempotency", now=NOW).deleted == 1  # the 47 h old one
        assert retention.retention_purge(policy="idempotency", now=NOW + timedelta(hours=23)).deleted == 0
        assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [fresh.pk]
        assert retention.retention_purge(policy="idempotency", now=NOW + timedelta(hours=25)).deleted == 1
    assert not IdempotencyRecord.objects.filter(pk=kept.pk).exists()
    assert not IdempotencyRecord.objects.exists()


def test_old_webhook_events_go_with_their_deliveries_unless_one_is_still_pending() -> None:
    partner = Partner.objects.create(name="hooks")
    first = WebhookEndpoint.objects.create(partner=partner, url="https://a.example/", events=["order.created"])
    second = WebhookEndpoint.objects.create(partner=partner, url="https://b.example/", events=["order.created"])
    month = timedelta(days=31)
    done = webhook_event(partner, "done", month, (first, "succeeded"), (second, "failed"))
    retrying = webhook_event(partner, "retrying", month, (first, "succeeded"), (second, "pending"))
    unsent = webhook_event(partner, "unsubscribed", month)  # stored before events without subscribers were dropped
    recent = webhook_event(partner, "recent", timedelta(days=29), (first, "succeeded"))

    assert retention.retention_purge(policy="webhook_events", now=NOW).deleted == 2

    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {retrying.pk, recent.pk}
    assert not WebhookDelivery.objects.filter(event_id__in=[done.pk, unsent.pk]).exists()
    assert WebhookDelivery.objects.filter(event=retrying).count() == 2  # the finished one stays with its event
    assert WebhookAttempt.objects.count() == 3
    assert WebhookEndpoint.objects.count() == 2  # subscriptions are not the policy's business


def test_closed_carts_go_after_their_retention_and_open_carts_never() -> None:
    month = timedelta(days=31)
    for status in (Cart.Status.CHECKED_OUT, Cart.Status.EXPIRED, Cart.Status.MERGED):
        cart(status, month, session=f"old-{status}")
    idle_open = cart(Cart.Status.OPEN, timedelta(days=400), session="idle")
    recent = cart(Cart.Status.CHECKED_OUT, timedelta(days=29), session="recent")

    assert retention.retention_purge(policy="closed_carts", now=NOW).deleted == 3
    assert set(Cart.objects.values_list("pk", flat=True)) == {idle_open.pk, recent.pk}


def test_a_purge_works_in_bounded_batches_and_a_second_run_deletes_nothing() -> None:
    for index in range(5):
        idempotency_record(f"old-{index}", timedelta(days=3))
    idempotency_record("fresh", timedelta(hours=1))
    progress: list[int] = []

    outcome = retention.retention_purge(policy="idempotency", now=NOW, batch_size=2, on_batch=progress.append)

    assert (outcome.deleted, outcome.batches) == (5, 3)
    assert progress == [2, 4, 5]  # what the activity heartbeats
    assert purge_all(batch_size=2) == {"idempotency": 0, "webhook_events": 0, "closed_carts": 0}
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]


def test_a_single_batch_deletes_at_most_its_size_oldest_first() -> None:
    records = [idempotency_record(f"old-{index}", timedelta(days=3)) for index in range(3)]
    assert retention.retention_purge_batch(policy="idempotency", now=NOW, batch_size=2) == 2
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [records[2].pk]


def test_a_retention_of_zero_keeps_everything() -> None:
    idempotency_record("ancient", timedelta(days=3650))
    cart(Cart.Status.EXPIRED, timedelta(days=3650), session="ancient")
    with settings_override(IDEMPOTENCY_RETENTION=timedelta(0), CLOSED_CART_RETENTION=timedelta(0)):
        assert retention.retention_cutoff(policy="idempotency", now=NOW) is None
        assert purge_all() == {"idempotency": 0, "webhook_events": 0, "closed_carts": 0}
    assert IdempotencyRecord.objects.count() == 1 and Cart.objects.count() == 1


def test_purge_command_dry_run_counts_and_deletes_nothing_then_purges(capsys: pytest.CaptureFixture[str]) -> None:
    idempotency_record("old", timedelta(days=3))
    cart(Cart.Status.CHECKED_OUT, timedelta(days=31), session="old")
    cart(Cart.Status.OPEN, timedelta(days=31), session="open")

    call_command("purge", "--dry-run")
    out = capsys.readouterr().out
    assert "idempotency (orders_idempotencyrecord): 1 rows" in out and "would be deleted" in out
    assert "closed_carts (carts_cart): 1 rows" in out
    assert IdempotencyRecord.objects.count() == 1 and Cart.objects.count() == 2

    call_command("purge", "--policy", "closed_carts")
    out = capsys.readouterr().out
    assert "closed_carts (carts_cart): deleted 1 rows" in out and "idempotency" not in out
    assert IdempotencyRecord.objects.count() == 1 and list(Cart.objects.values_list("status", flat=True)) == ["open"]
