"""Webhook reads, always scoped to the partner asking (another partner's endpoint is simply not found)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from oms_project.errors import NotFound
from partners.models import Partner
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list(*, partner: Partner) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(partner=partner, deleted_at__isnull=True)


def webhook_endpoint_get(*, partner: Partner, endpoint_id: int) -> WebhookEndpoint:
    endpoint = webhook_endpoint_list(partner=partner).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("Webhook endpoint not found.")
    return endpoint


def webhook_delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related(Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("number")))
    )
