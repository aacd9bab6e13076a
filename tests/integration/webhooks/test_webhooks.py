"""Webhooks end to end: real dev server and workers, receivers on 127.0.0.1, the partner API and the admin."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from partners.services import api_key_create
from tests.integration.webhooks.receiver import free_port, receiver
from tests.temporal_env import settings_override
from webhooks.contracts import order_event_dedupe_key
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.services import webhook_delivery_retry, webhook_event_publish

pytestmark = pytest.mark.integration

FAST_RETRIES = {
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": True,
    "WEBHOOK_TIMEOUT": timedelta(seconds=1),
    "WEBHOOK_RETRY_INITIAL_INTERVAL": timedelta(seconds=1),
    "WEBHOOK_RETRY_BACKOFF": 1.0,
    "WEBHOOK_RETRY_MAX_INTERVAL": timedelta(seconds=1),
    "WEBHOOK_GIVE_UP_AFTER": timedelta(seconds=5),
}


@pytest.fixture
def fast_retries() -> Iterator[None]:
    with settings_override(**FAST_RETRIES):
        yield


def partner_client(name: str | None = None, scopes: tuple[str, ...] = ("orders",)) -> tuple[Client, int]:
    issued = api_key_create(partner_name=name or f"partner-{uuid.uuid4().hex[:8]}", scopes=list(scopes))
    return Client(HTTP_AUTHORIZATION=f"Api-Key {issued.raw_key}"), issued.api_key.partner_id


def register(client: Client, url: str, events: list[str] | None = None) -> dict:
    response = client.post(
        "/api/v1/webhooks/", {"url": url, "events": events or ["order.created"]}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def delivery_status(delivery_id: int) -> str:
    return WebhookDelivery.objects.get(pk=delivery_id).status


def publish(partner_id: int, event_type: str = "order.created", number: str | None = None) -> list[int]:
    number = number or f"N{uuid.uuid4().hex[:8]}"
    return webhook_event_publish(
        partner_id=partner_id,
        event_type=event_type,
        data={"number": number, "status": "created", "total": "12.50", "currency": "EUR"},
        dedupe_key=order_event_dedupe_key(number, event_type),
    )


def receiver_verifies(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What docs/webhooks.md tells receivers to do, written independently of the sender's code."""
    fields = dict(item.split("=", 1) for item in headers["OMS-Signature"].split(","))
    signed = fields["t"].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"]) and abs(time.time() - int(fields["t"])) < 300


def test_event_is_signed_and_verifiable_by_the_receiver(live_oms, fast_retries) -> None:
    client, partner_id = partner_client()
    with receiver() as target:
        created = register(client, target.url, ["order.created", "order.confirmed"])
        [delivery_id] = publish(partner_id, "order.confirmed", number="N-SIGNED")
        wait_for(lambda: delivery_status(delivery_id) == "succeeded")

    [request] = target.requests
    assert receiver_verifies(created["secret"], request.headers, request.body)
    assert not receiver_verifies("whsec_wrong", request.headers, request.body)
    body = json.loads(request.body)
    assert set(body) == {"id", "type", "created_at", "data"}
    assert body["type"] == "order.confirmed" and body["data"]["number"] == "N-SIGNED"
    assert request.headers["OMS-Event-Id"] == body["id"]
    assert request.headers["Content-Type"] == "application/json"


def test_receiver_failing_twice_gets_the_event_three_times(live_oms, fast_retries) -> None:
    client, partner_id = partner_client()
    with receiver(fail_first=2) as target:
        endpoint = register(client, target.url)
        [delivery_id] = publish(partner_id)
        wait_for(lambda: delivery_status(delivery_id) == "succeeded")
        time.sleep(1.5)  # a further retry would have arrived by now
        assert len(target.requests) == 3
    assert len({r.headers["OMS-Event-Id"] for r in target.requests}) == 1

    page = client.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries/").json()
    [delivery] = page["results"]
    assert delivery["status"] == "succeeded"
    assert delivery["attempt_count"] == 3
    assert [a["number"] for a in delivery["attempts"]] == [1, 2, 3]
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 200]
    assert delivery["attempts"][0]["error"].startswith("HTTP 500")


@pytest.mark.parametrize("dead", ["nothing_listening", "sleeps_past_timeout"])
def test_dead_receiver_does_not_block_publish_and_ends_failed(live_oms, fast_retries, dead: str) -> None:
    client, partner_id = partner_client()
    if dead == "nothing_listening":
        endpoint = register(client, f"http://127.0.0.1:{free_port()}/hook")
        [delivery_id] = publish(partner_id)
        wait_for(lambda: delivery_status(delivery_id) == "failed")
    else:
        with receiver(sleep_seconds=3) as target:
            endpoint = register(client, target.url)
            [delivery_id] = publish(partner_id)
            # Publishing only records the delivery: a publish that sent the event itself would have waited out
            # the receiver's timeout and recorded that attempt before returning.
            assert WebhookDelivery.objects.get(pk=delivery_id).attempt_count == 0
            wait_for(lambda: delivery_status(delivery_id) == "failed")
            assert target.requests  # it was reached, but too slowly

    consistent: list[dict] = []

    def settled() -> bool:
        # An attempt still running when the give-up budget ran out is recorded late (it does not revive the
        # delivery): wait for an answer whose count and attempt rows agree.
        [delivery] = client.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries/").json()["results"]
        if len(delivery["attempts"]) == delivery["attempt_count"]:
            consistent.append(delivery)
        return bool(consistent)

    wait_for(settled)
    delivery = consistent[-1]
    assert delivery["status"] == "failed"
    assert delivery["completed_at"] and delivery["next_attempt_at"] is None
    assert delivery["attempt_count"] >= 2
    assert all(a["status_code"] is None and a["error"] for a in delivery["attempts"])
    assert delivery["last_error"]


def test_staff_retry_of_a_failed_delivery_succeeds(live_oms, fast_retries) -> None:
    client, partner_id = partner_client()
    port = free_port()
    register(client, f"http://127.0.0.1:{port}/hook")
    [delivery_id] = publish(partner_id)
    wait_for(lambda: delivery_status(delivery_id) == "failed")
    failed_attempts = WebhookDelivery.objects.get(pk=delivery_id).attempt_count

    with receiver(port=port) as target:
        webhook_delivery_retry(delivery_id=delivery_id)
        wait_for(lambda: delivery_status(delivery_id) == "succeeded")
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert len(target.requests) == 1
    assert delivery.attempt_count == failed_attempts + 1
    assert list(delivery.attempts.values_list("number", flat=True)) == list(range(1, failed_attempts + 2))


def test_admin_retry_action_needs_the_permission(live_oms, fast_retries) -> None:
    client, partner_id = partner_client()
    port = free_port()
    register(client, f"http://127.0.0.1:{port}/hook")
    [delivery_id] = publish(partner_id)
    wait_for(lambda: delivery_status(delivery_id) == "failed")

    staff = User.objects.create_user("ops", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
    admin = Client()
    admin.force_login(staff)
    changelist = "/admin/webhooks/webhookdelivery/"
    action = {"action": "retry_delivery", "_selected_action": [delivery_id]}
    assert b"retry_delivery" not in admin.get(changelist).content
    admin.post(changelist, action)
    assert delivery_status(delivery_id) == "failed"

    staff.user_permissions.add(Permission.objects.get(codename="retry_webhookdelivery"))
    staff = User.objects.get(pk=staff.pk)  # drop the permission cache
    admin.force_login(staff)
    with receiver(port=port):
        response = admin.post(changelist, action, follow=True)
        assert b"Retrying 1 delivery" in response.content
        wait_for(lambda: delivery_status(delivery_id) == "succeeded")


def test_duplicate_publish_creates_one_event_and_one_send(live_oms, fast_retries) -> None:
    client, partner_id = partner_client()
    with receiver() as target:
        register(client, target.url)
        first = publish(partner_id, number="N-DUP")
        second = publish(partner_id, number="N-DUP")
        assert first == second and len(first) == 1
        wait_for(lambda: delivery_status(first[0]) == "succeeded")
        assert publish(partner_id, number="N-DUP") == first  # also after it was delivered
        time.sleep(1.5)
    assert WebhookEvent.objects.filter(dedupe_key="N-DUP:order.created").count() == 1
    assert len(target.requests) == 1


def test_only_subscribed_active_endpoints_of_the_partner_receive(live_oms, fast_retries) -> None:
    client, partner_id = partner_client()
    other_client, _ = partner_client()
    with receiver() as mine, receiver() as theirs, receiver() as deleted:
        register(client, mine.url, ["order.shipped"])
        register(client, mine.url, ["order.created"])  # not subscribed to shipped
        gone = register(client, deleted.url, ["order.shipped"])
        assert client.delete(f"/api/v1/webhooks/{gone['id']}/").status_code == 204
        register(other_client, theirs.url, ["order.shipped"])
        [delivery_id] = publish(partner_id, "order.shipped")
        wait_for(lambda: delivery_status(delivery_id) == "succeeded")
        time.sleep(0.5)
    assert len(mine.requests) == 1 and not theirs.requests and not deleted.requests


def test_another_partners_webhook_is_not_found(live_oms) -> None:
    client, _ = partner_client()
    other_client, _ = partner_client()
    with settings_override(WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
        endpoint = register(client, "http://127.0.0.1:9/hook")
    assert other_client.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries/").status_code == 404
    response = other_client.delete(f"/api/v1/webhooks/{endpoint['id']}/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert other_client.get("/api/v1/webhooks/").json()["results"] == []
    assert client.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries/").status_code == 200


def test_target_is_checked_again_at_send_time(live_oms, fast_retries) -> None:
    """Registered while private targets were allowed; refused at delivery once they are not (DNS rebinding)."""
    client, partner_id = partner_client()
    with receiver() as target:
        endpoint = register(client, target.url)
        with settings_override(WEBHOOK_ALLOW_PRIVATE_TARGETS=False):
            [delivery_id] = publish(partner_id)
            wait_for(lambda: delivery_status(delivery_id) == "failed")
        assert target.requests == []
    [delivery] = client.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries/").json()["results"]
    assert delivery["attempts"] and all("WebhookTargetNotAllowed" in a["error"] for a in delivery["attempts"])


def test_publish_activity_is_idempotent_and_quick(live_oms, fast_retries) -> None:
    """The activity the order workflow calls (``webhooks.publish``), run as Temporal runs it."""
    from temporalio.testing import ActivityEnvironment

    from webhooks.activities import webhooks_publish
    from webhooks.contracts import PublishInput

    client, partner_id = partner_client()
    with receiver() as target:
        register(client, target.url, ["order.cancelled"])
        inp = PublishInput(
            partner_id=partner_id,
            event_type="order.cancelled",
            data={"number": "N-ACT", "status": "cancelled"},
            dedupe_key=order_event_dedupe_key("N-ACT", "order.cancelled"),
        )
        started = time.monotonic()
        first = ActivityEnvironment().run(webhooks_publish, inp)
        assert time.monotonic() - started < 1.0
        assert ActivityEnvironment().run(webhooks_publish, inp) == first and len(first) == 1
        assert ActivityEnvironment().run(webhooks_publish, PublishInput(None, "order.cancelled", {}, "x:y")) == []
        wait_for(lambda: delivery_status(first[0]) == "succeeded")
    assert json.loads(target.requests[0].body)["data"] == {"number": "N-ACT", "status": "cancelled"}
