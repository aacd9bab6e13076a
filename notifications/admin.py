"""Customer e-mails in the admin: every e-mail with its status, the e-mails of an order (an inline on the order
page), and "Send again" through the same outbox (docs/notifications.md)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from backoffice.actions import staff_actor
from notifications import services
from notifications.models import Email
from oms_project.errors import DomainError

EMAIL_FIELDS = ["kind", "to", "status", "attempts", "subject", "last_error", "created_at", "sent_at", "resend_of"]


@admin.register(Email)
class EmailAdmin(admin.ModelAdmin):
    list_display = ["id", "order", "kind", "to", "status", "attempts", "created_at", "sent_at", "resend_of"]
    list_filter = ["status", "kind"]
    search_fields = ["order__number", "to"]
    list_select_related = ["order"]
    readonly_fields = ["order", "event", *EMAIL_FIELDS, "requested_by"]
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Email | None = None) -> bool:
        return False  # written by the outbox only

    def has_delete_permission(self, request: HttpRequest, obj: Email | None = None) -> bool:
        return False  # the record of what the customer was told

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notifications.resend_email")

    @admin.action(description="Send again", permissions=["resend"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[Email]) -> None:
        sent, refused = [], []
        for email_id in queryset.values_list("pk", flat=True):
            try:
                sent.append(services.email_resend(email_id=email_id, actor=staff_actor(request.user)).pk)
            except DomainError as error:
                refused.append(f"{email_id}: {error.message}")
        if sent:
            self.message_user(request, f"Sending {len(sent)} e-mail(s) again ({', '.join(map(str, sent))}).")
        if refused:
            self.message_user(request, "Not sent: " + "; ".join(refused), messages.WARNING)


class EmailInline(admin.TabularInline):
    """On the order page: what the customer was e-mailed, linked to the e-mail list where staff resend."""

    model = Email
    fk_name = "order"
    verbose_name_plural = "customer e-mails"
    fields = ["email_link", "kind", "to", "status", "attempts", "sent_at", "last_error"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["id"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="e-mail")
    def email_link(self, email: Email) -> str:
        url = reverse("admin:notifications_email_changelist") + f"?order__id__exact={email.order_id}"
        return format_html('<a href="{}">#{}</a>', url, email.pk)
