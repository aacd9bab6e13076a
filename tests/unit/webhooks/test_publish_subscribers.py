"""An event is stored only when an endpoint subscribes to it (issue #19: unsubscribed ``order.created`` events
were the largest table, with no delivery ever reading them)."""

from __future__ import annotations

import pytest

from partners.models import Partner
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.services import webhook_event_publish

pytestmark = pytest.mark.django_db


def publish(partner: Partner, key: str, event_type: str = "order.created") -> list[int]:
    # start_deliveries=False: what the order's own writes do (the workflow dispatches); no Temporal needed.
    return webhook_event_publish(
        partner_id=partner.pk, event_type=event_type, data={"n": key}, dedupe_key=key, start_deliveries=False
    )


def test_an_event_nobody_subscribes_to_is_not_stored() -> None:
    partner = Partner.objects.create(name="quiet")
    WebhookEndpoint.objects.create(partner=partner, url="https://a.example/", events=["order.shipped"])
    gone = WebhookEndpoint.objects.create(partner=partner, url="https://b.example/", events=["order.created"])
    gone.is_active = False
    gone.save()
    other = Partner.objects.create(name="other")
    WebhookEndpoint.objects.create(partner=other, url="https://c.example/", events=["order.created"])

    assert publish(partner, "N1:order.created") == []
    assert publish(partner, "N1:order.created") == []  # a repeat too
    assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()


def test_a_subscribed_event_is_stored_once_with_one_delivery_per_subscriber() -> None:
    partner = Partner.objects.create(name="hooked")
    first = WebhookEndpoint.objects.create(partner=partner, url="https://a.example/", events=["order.created"])
    WebhookEndpoint.objects.create(partner=partner, url="https://b.example/", events=["order.shipped"])

    delivery_ids = publish(partner, "N2:order.created")

    assert publish(partner, "N2:order.created") == delivery_ids
    event = WebhookEvent.objects.get()
    assert event.dedupe_key == "N2:order.created"
    assert list(event.deliveries.values_list("pk", "endpoint_id")) == [(delivery_ids[0], first.pk)]
