from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from oms_project.admin import RecordAdmin
from oms_project.errors import DomainError
from webhooks import services
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    # The signing secret is never displayed: it was shown to the partner once, at creation.
    exclude = ["secret"]
    list_display = ["id", "partner", "url", "event_list", "is_active", "created_at", "deleted_at"]
    list_filter = ["is_active", "partner"]
    search_fields = ["url", "partner__name"]
    # URL and events change only through the API, which runs the SSRF guard; staff may (de)activate.
    fields = ["partner", "url", "event_list", "is_active", "created_at", "deleted_at"]
    readonly_fields = ["partner", "url", "event_list", "created_at", "deleted_at"]

    @admin.display(description="events")
    def event_list(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.events)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # partners register through the API, which checks the URL and returns the secret


@admin.register(WebhookEvent)
class WebhookEventAdmin(RecordAdmin):
    list_display = ["event_id", "type", "partner", "dedupe_key", "created_at"]
    list_filter = ["type", "partner"]
    search_fields = ["event_id", "dedupe_key"]
    readonly_fields = ["event_id", "partner", "type", "order_summary", "dedupe_key", "body", "created_at"]
    fieldsets = [
        (None, {"fields": ["event_id", "type", "partner", "order_summary", "created_at"]}),
        (
            "Technical (for partners' developers checking a signature)",
            {"classes": ["collapse"], "fields": ["dedupe_key", "body"]},
        ),
    ]

    @admin.display(description="order")
    def order_summary(self, obj: WebhookEvent) -> str:
        """What the event says, in words: staff need the order and its state, not the JSON the partner gets."""
        data = obj.data or {}
        parts = [data.get("number"), data.get("status")]
        if data.get("total") is not None:
            parts.append(f"{data['total']} {data.get('currency', '')}".strip())
        return " · ".join(str(part) for part in parts if part) or "-"


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "at", "status_code", "error", "duration_ms"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["number"]

    def has_add_permission(self, request: HttpRequest, obj: WebhookDelivery | None = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(RecordAdmin):  # staff retry it with the action, never edit it
    list_display = ["id", "event", "endpoint", "status", "attempt_count", "last_status_code", "next_attempt_at"]
    list_filter = ["status", "event__type"]
    search_fields = ["event__event_id", "event__dedupe_key", "endpoint__url"]
    list_select_related = ["event", "endpoint__partner"]
    readonly_fields = [
        "event",
        "endpoint",
        "status",
        "attempt_count",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "created_at",
        "updated_at",
        "completed_at",
    ]
    inlines = [WebhookAttemptInline]
    actions = ["retry_delivery"]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("webhooks.retry_webhookdelivery")

    @admin.action(description="Retry delivery", permissions=["retry"])
    def retry_delivery(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        retried, refused = 0, []
        for delivery_id in queryset.values_list("pk", flat=True):
            try:
                services.webhook_delivery_retry(delivery_id=delivery_id)
                retried += 1
            except DomainError as error:
                refused.append(f"{delivery_id}: {error.message}")
        if retried:
            self.message_user(request, f"Retrying {retried} deliver{'y' if retried == 1 else 'ies'}.", messages.SUCCESS)
        if refused:
            self.message_user(request, "Not retried: " + "; ".join(refused), messages.WARNING)
