from __future__ import annotations

from rest_framework import serializers

from oms_project.api import ChoiceField, RefusesServerOwnedFields
from webhooks import domain
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class WebhookEndpointInputSerializer(RefusesServerOwnedFields):
    # The signing secret is drawn by the server; the partner is the key's.
    server_owned_fields = frozenset({"id", "secret", "is_active", "created_at", "partner"})

    url = serializers.CharField(max_length=2000, help_text="Public http(s) URL that receives the events.")
    events = serializers.ListField(
        child=ChoiceField(choices=domain.EVENT_TYPES), min_length=1, max_length=len(domain.EVENT_TYPES)
    )


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=ChoiceField(choices=domain.EVENT_TYPES))

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "is_active", "created_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        help_text="HMAC-SHA256 signing secret for the OMS-Signature header. Returned only in this response."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "at", "status_code", "error", "duration_ms"]


class WebhookEventSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField(source="event_id")
    type = ChoiceField(choices=domain.EVENT_TYPES)
    created_at = serializers.DateTimeField()


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event = WebhookEventSummarySerializer()
    attempts = WebhookAttemptSerializer(many=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "status",
            "attempt_count",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "updated_at",
            "completed_at",
            "attempts",
        ]
