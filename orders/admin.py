"""The order admin: the back office's control room (docs/backoffice.md).

Every status field is read-only: the order workflow writes these rows. Staff change an order only through the
actions of ``backoffice.actions`` (admin actions on the list, buttons on the detail page), each guarded by its
own permission, confirmed on an intermediate page and reported per order.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString

from backoffice.actions import ORDER_ACTIONS, OrderAction, staff_actor
from backoffice.export import order_csv_response
from backoffice.selectors import dashboard_data, order_workflow_state, task_queue_health, temporal_ui_url
from notifications.admin import EmailInline
from oms_project.admin import RecordAdmin
from oms_project.errors import DomainError
from orders.models import IdempotencyRecord, Order, OrderLine, SandboxDelivery
from orders.timeline import timeline_entries
from payments.selectors import payment_get
from returns.admin import order_returns_summary


def status_badge(value: str) -> SafeString:
    return format_html('<span class="bo-status bo-status-{}">{}</span>', value, value.replace("_", " ") or "none")


class SlaBreachedFilter(admin.SimpleListFilter):
    """Orders whose SLA timer fired in their current status (the flag is cleared by the next status)."""

    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("breached", "breached"), ("ok", "within SLA")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Order]) -> QuerySet[Order]:
        if self.value() == "breached":
            return queryset.exclude(sla_breached_status="")
        if self.value() == "ok":
            return queryset.filter(sla_breached_status="")
        return queryset


def _line_count() -> Subquery:
    lines = OrderLine.objects.filter(order=OuterRef("pk")).order_by().values("order").annotate(n=Count("pk"))
    return Subquery(lines.values("n"))


def _admin_action(action: OrderAction) -> Callable[..., HttpResponse | None]:
    def run(modeladmin: OrderAdmin, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
        return modeladmin.order_action_view(request, action, queryset, via_changelist=True)

    run.__name__ = f"{action.name}_orders"
    run.short_description = action.description  # type: ignore[attr-defined]
    run.order_action = action  # type: ignore[attr-defined]
    return run


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "placed",
        "status_badge",
        "payment_badge",
        "delivery_badge",
        "sla_breached",
        "channel",
        "partner",
        "contact_email",
        "line_count",
        "total_display",
    ]
    list_filter = ["status", SlaBreachedFilter, "payment_status", "delivery_status", "channel", "delivery_priority"]
    list_select_related = ["partner"]
    search_fields = [
        "number",
        "external_ref",
        "contact_email",
        "customer__user__email",
        "lines__sku",
        "=voucher_code",
    ]
    search_help_text = "Order number, external ref, customer e-mail, SKU or voucher code."
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False  # a second COUNT over a large filtered list buys nothing
    inlines = [EmailInline]
    actions = [_admin_action(action) for action in ORDER_ACTIONS.values()]
    readonly_fields = ["items", "shipments", "live_workflow", "timeline", "returns_and_refunds"]
    fieldsets = [
        (None, {"fields": ["number", "channel", "partner", "customer", "external_ref", "created_at", "updated_at"]}),
        ("Items", {"fields": ["items"]}),
        (
            "Shipments and payment",
            {
                "description": "Each shipment captures its items' share of the total (shipping with the first); "
                "changes of items are on the timeline.",
                "fields": ["shipments", "refunded_amount"],
            },
        ),
        (
            "Status (changed only by the order workflow)",
            {
                "description": "The customer's order page shows the status, the cancel reason word for word and "
                "the tracking number; partners get the same in the API and webhooks.",
                "fields": [
                    "status",
                    "payment_status",
                    "delivery_status",
                    "failure_reason",
                    "cancel_reason",
                    "sla_breached_status",
                    "sla_breached_at",
                ],
            },
        ),
        ("Returns and refunds", {"fields": ["returns_and_refunds"]}),
        ("Live workflow state", {"fields": ["live_workflow"]}),
        ("Timeline", {"fields": ["timeline"]}),
        (
            "Totals",
            {
                "description": "Priced by the one pricing function (docs/pricing.md); each line's share of the "
                "discount and tax is in the lines above.",
                "fields": [
                    "currency",
                    "subtotal",
                    "discount",
                    "voucher_code",
                    "shipping",
                    "tax",
                    "total",
                    "payment_method",
                ],
            },
        ),
        ("Contact", {"fields": ["contact_email", "contact_name", "contact_phone"]}),
        (
            "Shipping address",
            {"fields": ["ship_name", "ship_line1", "ship_line2", "ship_city", "ship_postal_code", "ship_country"]},
        ),
        (
            "Delivery",
            {
                "fields": [
                    "delivery_priority",
                    "delivery_period_start",
                    "delivery_period_end",
                    "delivery_reference",
                    "tracking_carrier",
                    "tracking_number",
                ]
            },
        ),
    ]

    # --- read-only model ------------------------------------------------------------------------------------
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None) -> list[str]:
        computed = ["items", "shipments", "live_workflow", "timeline", "returns_and_refunds"]
        return [field.name for field in Order._meta.fields] + computed

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return super().get_queryset(request).annotate(line_count=_line_count())

    @admin.display(description="placed", ordering="created_at")
    def placed(self, obj: Order) -> str:
        return date_format(timezone.localtime(obj.created_at), "Y-m-d H:i")

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: Order) -> SafeString:
        return status_badge(obj.status)

    @admin.display(description="payment", ordering="payment_status")
    def payment_badge(self, obj: Order) -> SafeString:
        return status_badge(obj.payment_status)

    @admin.display(description="delivery", ordering="delivery_status")
    def delivery_badge(self, obj: Order) -> SafeString:
        return status_badge(obj.delivery_status)

    @admin.display(description="total", ordering="total")
    def total_display(self, obj: Order) -> str:
        return f"{obj.total} {obj.currency}"

    @admin.display(description="lines", ordering="line_count")
    def line_count(self, obj: Order) -> int:
        return obj.line_count or 0  # type: ignore[attr-defined]

    @admin.display(description="SLA", ordering="sla_breached_status")
    def sla_breached(self, obj: Order) -> SafeString | str:
        """Only a breach is shown (a column of red crosses for "no" read as alarms)."""
        if not obj.sla_breached_status:
            return ""
        return format_html('<span class="bo-status bo-status-failed">late ({})</span>', obj.sla_breached_status)

    @admin.display(description="workflow")
    def live_workflow(self, obj: Order) -> SafeString | str:
        if obj.pk is None:
            return ""
        state = order_workflow_state(number=obj.number)
        # A rendered template is already a SafeString whose variables were autoescaped: no mark_safe needed.
        return render_to_string("backoffice/live_workflow.html", {"state": state, "order": obj})

    @admin.display(description="lines")
    def items(self, obj: Order) -> SafeString | str:
        if obj.pk is None:
            return ""
        lines = list(obj.lines.order_by("position"))
        return render_to_string("backoffice/order_lines.html", {"lines": lines, "order": obj})

    @admin.display(description="shipments")
    def shipments(self, obj: Order) -> SafeString | str:
        if obj.pk is None:
            return ""
        shipments = list(obj.shipments.order_by("seq"))
        context = {
            "shipments": shipments,
            "order": obj,
            "payment": payment_get(order_number=obj.number),
            "captured": sum((s.amount_captured for s in shipments), Decimal(0)),
        }
        return render_to_string("backoffice/order_shipments.html", context)

    @admin.display(description="events")
    def timeline(self, obj: Order) -> SafeString | str:
        """Every event in order, as sentences with who did it (the raw event data is never shown as JSON)."""
        if obj.pk is None:
            return ""
        entries = timeline_entries(list(obj.events.order_by("id")))
        return render_to_string("backoffice/timeline.html", {"entries": entries})

    @admin.display(description="returns and refunds")
    def returns_and_refunds(self, obj: Order) -> SafeString | str:
        return order_returns_summary(obj) if obj.pk is not None else ""

    # --- permissions per action -----------------------------------------------------------------------------
    def has_order_action_permission(self, request: HttpRequest, action: OrderAction) -> bool:
        return request.user.has_perm(action.perm_label)

    def allowed_order_actions(self, request: HttpRequest) -> list[OrderAction]:
        return [a for a in ORDER_ACTIONS.values() if self.has_order_action_permission(request, a)]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        for name, (func, _, _) in list(actions.items()):
            action = getattr(func, "order_action", None)
            page_only = action is not None and getattr(action.form, "page_only", False)
            if action is not None and (page_only or not self.has_order_action_permission(request, action)):
                del actions[name]
        return actions

    # --- URLs -----------------------------------------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("dashboard/", view(self.dashboard_view), name="orders_order_dashboard"),
            path("export.csv", view(self.export_view), name="orders_order_export"),
            path("<path:object_id>/act/<str:action_name>/", view(self.object_action_view), name="orders_order_act"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        extra = {
            "order_actions": self.allowed_order_actions(request),
            "temporal_ui_url": None,
            # Nothing on this page is edited in place (the actions above change an order), so no Save buttons.
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        obj = self.get_object(request, object_id)
        if obj is not None:
            extra["order_actions"] = [action for action in extra["order_actions"] if action.offered(obj)]
            extra["temporal_ui_url"] = temporal_ui_url(obj.number)
            extra["title"] = f"Order {obj.number}"  # not "Change order": nothing here is edited in place
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        query = request.GET.urlencode()
        export_url = reverse("admin:orders_order_export") + (f"?{query}" if query else "")
        return super().changelist_view(request, {"export_url": export_url, **(extra_context or {})})

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        """An order's history is its timeline (the workflow, customers, partners and staff write it); Django's
        admin log, which only knows edits made through admin forms, never has entries for an order."""
        obj = self.get_object(request, object_id)
        entries = timeline_entries(list(obj.events.order_by("id"))) if obj is not None else []
        return super().history_view(request, object_id, {"timeline_entries": entries, **(extra_context or {})})

    # --- actions --------------------------------------------------------------------------------------------
    def object_action_view(self, request: HttpRequest, object_id: str, action_name: str) -> HttpResponse:
        action = ORDER_ACTIONS.get(action_name)
        if action is None:
            raise PermissionDenied
        order = get_object_or_404(self.get_queryset(request), pk=object_id)
        response = self.order_action_view(request, action, Order.objects.filter(pk=order.pk), via_changelist=False)
        return response or HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))

    def order_action_view(
        self, request: HttpRequest, action: OrderAction, queryset: QuerySet[Order], *, via_changelist: bool
    ) -> HttpResponse | None:
        """The confirmation page with the action's form; on "apply", one service call and message per order."""
        if not self.has_order_action_permission(request, action):
            raise PermissionDenied
        orders = list(
            queryset.select_related(None).order_by("created_at").only("pk", "number", "status", "payment_status")
        )
        if request.method == "POST" and "apply" in request.POST:
            form = action.form(request.POST, **self._form_kwargs(action, orders))
            if form.is_valid():
                actor = staff_actor(request.user)
                # One order: wait for the outcome a few seconds. Several: only until each is accepted, so the
                # page answers at once and every action finishes by itself (API.md "Long-running actions").
                wait_seconds = None if len(orders) == 1 else 0
                for order in orders:
                    try:
                        outcome = action.perform(order, form.cleaned_data, actor, wait_seconds)
                    except DomainError as error:
                        self.message_user(request, f"{order.number}: {error.message}", messages.ERROR)
                    else:
                        self.message_user(request, outcome, messages.SUCCESS)
                return None
        else:
            form = action.form(**self._form_kwargs(action, orders))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{action.verb}: confirm",
            "action": action,
            "orders": orders,
            "form": form,
            "via_changelist": via_changelist,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "admin_action_name": f"{action.name}_orders",
        }
        return TemplateResponse(request, "backoffice/order_action_confirm.html", context)

    @staticmethod
    def _form_kwargs(action: OrderAction, orders: list[Order]) -> dict[str, Any]:
        """A per-order form (lines and quantities) gets its order when one is selected; for several it shows no
        line fields (a shipment then takes everything left)."""
        per_order = getattr(action.form, "per_order", False)
        return {"order": Order.objects.get(pk=orders[0].pk)} if per_order and len(orders) == 1 else {}

    # --- dashboard and export -------------------------------------------------------------------------------
    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Operations dashboard",
            "dashboard": dashboard_data(),
            "queues": task_queue_health(),
        }
        return TemplateResponse(request, "backoffice/dashboard.html", context)

    def export_view(self, request: HttpRequest) -> StreamingHttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)  # applies the list's filters, search and dates
        return order_csv_response(changelist.get_queryset(request))


# Stored API answers (a partner's retry replays them) and the sandbox provider's records: read-only for
# everyone (oms_project.admin.RecordAdmin), shown in words.
@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(RecordAdmin):
    list_display = ["key", "partner", "scope", "state", "response_status", "order", "created_at"]
    list_filter = ["state", "scope"]
    list_select_related = ["partner"]
    search_fields = ["key", "response_location"]
    fields = ["partner", "key", "scope", "state", "response_status", "order", "created_at", "claimed_at"]
    readonly_fields = fields

    @admin.display(description="order")
    def order(self, obj: IdempotencyRecord) -> str:
        """The order the key's first request answered with (its number, not the stored JSON answer)."""
        body = obj.response_body if isinstance(obj.response_body, dict) else {}
        return str(body.get("number") or "-")


@admin.register(SandboxDelivery)
class SandboxDeliveryAdmin(RecordAdmin):
    list_display = ["reference", "order_number", "priority", "cancelled", "created_at"]
    list_filter = ["cancelled", "priority"]
    search_fields = ["reference", "order_number"]
