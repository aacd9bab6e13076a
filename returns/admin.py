"""The returns admin: the list staff work from (filters: status, age, reason), each return's live state and
timeline, and the steps (approve / reject / receive per line) as actions through the return's workflow. Also the
staff goodwill refund of an order (linked from the order page). Every field is read-only: the return process
writes these rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from backoffice.actions import staff_actor
from oms_project.errors import DomainError
from orders.models import Order
from orders.timeline import timeline_entries
from returns import domain, services
from returns.contracts import ReturnProgress, return_workflow_id
from returns.forms import GoodwillRefundForm, ReceiveForm, RejectForm
from returns.models import Return, ReturnLine


class AgeFilter(admin.SimpleListFilter):
    """How long a return has waited since it was requested (the oldest ones need staff first)."""

    title = "age"
    parameter_name = "age"
    DAYS = {"1": 1, "3": 3, "7": 7, "14": 14}

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(key, f"older than {days} day{'s' if days > 1 else ''}") for key, days in self.DAYS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Return]) -> QuerySet[Return]:
        if self.value() in self.DAYS:
            return queryset.filter(created_at__lt=timezone.now() - timedelta(days=self.DAYS[self.value()]))
        return queryset


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    fields = ["sku", "quantity", "received_quantity", "restock", "refund_amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    url: str


@admin.register(Return)
class ReturnAdmin(admin.ModelAdmin):
    list_display = ["id", "order_link", "status", "reason", "created_at", "age", "refund_amount", "pending_action"]
    list_filter = ["status", AgeFilter, "reason"]
    search_fields = ["id", "order__number", "lines__sku"]
    list_select_related = ["order"]
    ordering = ["-created_at"]
    inlines = [ReturnLineInline]
    actions = ["approve_selected", "receive_selected"]
    readonly_fields = ["live_workflow", "timeline"]
    fieldsets = [
        (None, {"fields": ["id", "order", "status", "reason", "note", "reject_reason", "requested_by"]}),
        ("Money", {"fields": ["currency", "refund_amount", "refunded_amount", "pending_action"]}),
        ("Dates", {"fields": ["created_at", "updated_at", "approved_at", "receive_deadline"]}),
        ("Live workflow state", {"fields": ["live_workflow"]}),
        ("Timeline", {"fields": ["timeline"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Return._meta.fields] + ["live_workflow", "timeline"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # customers and partners ask for returns; staff act on them

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="order", ordering="order__number")
    def order_link(self, obj: Return) -> SafeString:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.order_id]), obj.order.number
        )

    @admin.display(description="waiting")
    def age(self, obj: Return) -> str:
        days = (timezone.now() - obj.created_at).days
        return f"{days} d" if days else "today"

    @admin.display(description="Live workflow state")
    def live_workflow(self, obj: Return) -> SafeString | str:
        """The process's own view while it runs (a query); once it ended, the row above is the whole story."""
        if domain.is_final(obj.status):
            return f"Ended ({obj.status}); workflow {return_workflow_id(obj.pk)}."
        try:
            progress: ReturnProgress = services.return_progress(ret=obj)
        except DomainError as error:
            return f"Temporal did not answer: {error.message}"
        return format_html(
            "Workflow {}: step <b>{}</b>, status {}{}{}",
            return_workflow_id(obj.pk),
            progress.step,
            progress.status,
            f", running {progress.pending_action}" if progress.pending_action else "",
            f", receive by {progress.receive_deadline[:16]}" if progress.receive_deadline else "",
        )

    @admin.display(description="Timeline")
    def timeline(self, obj: Return) -> SafeString | str:
        # The return's events read as the order's return events do ("approved" -> "Return approved").
        events = [
            SimpleNamespace(type=f"return_{event.type}", at=event.at, actor=event.actor, data=event.data)
            for event in obj.events.order_by("id")
        ]
        return render_to_string("backoffice/timeline.html", {"entries": timeline_entries(events)})

    # --- steps: each through the return's workflow (services), reported per return ----------------------------
    def _report(self, request: HttpRequest, ret: Return, answer: services.ReturnActionAnswer, done: str) -> None:
        if answer.pending_action:
            messages.info(request, f"Return {ret.pk}: accepted; the {answer.pending_action} is still running.")
        else:
            messages.success(request, f"Return {ret.pk} {done}.")

    @admin.action(description="Approve selected returns", permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Return]) -> None:
        for ret in queryset:
            try:
                self._report(
                    request, ret, services.return_approve(ret=ret, actor=staff_actor(request.user)), "approved"
                )
            except DomainError as error:
                messages.error(request, error.message)

    @admin.action(description="Receive selected returns (every unit, back on stock)", permissions=["change"])
    def receive_selected(self, request: HttpRequest, queryset: QuerySet[Return]) -> None:
        for ret in queryset:
            try:
                answer = services.return_receive(ret=ret, lines=None, actor=staff_actor(request.user))
                self._report(request, ret, answer, "received and refunded")
            except DomainError as error:
                messages.error(request, error.message)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<str:object_id>/step/<str:step>/", view(self.step_view), name="returns_return_step"),
            path("goodwill/<int:order_id>/", view(self.goodwill_view), name="returns_goodwill_refund"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        steps = []
        if obj is not None and self.has_change_permission(request, obj):
            for name, target in (("approve", "approved"), ("reject", "rejected"), ("receive", "received")):
                if domain.step_refusal(obj.status, target) is None:
                    url = reverse("admin:returns_return_step", args=[obj.pk, name])
                    steps.append(Step(name, name.capitalize(), url))
        extra = {"return_steps": steps, "show_save": False, "show_save_and_continue": False, "show_delete": False}
        if obj is not None:
            extra["title"] = f"Return {obj.pk} ({obj.status})"
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def step_view(self, request: HttpRequest, object_id: str, step: str) -> HttpResponse:
        ret = get_object_or_404(Return.objects.select_related("order"), pk=object_id)
        if not self.has_change_permission(request, ret) or step not in ("approve", "reject", "receive"):
            return HttpResponseRedirect(reverse("admin:returns_return_change", args=[ret.pk]))
        back = reverse("admin:returns_return_change", args=[ret.pk])
        form_class = {"approve": None, "reject": RejectForm, "receive": ReceiveForm}[step]
        kwargs: dict[str, Any] = {"ret": ret} if step == "receive" else {}
        form = form_class(request.POST or None, **kwargs) if form_class else None
        if request.method == "POST" and (form is None or form.is_valid()):
            actor = staff_actor(request.user)
            try:
                if step == "approve":
                    answer = services.return_approve(ret=ret, actor=actor)
                elif step == "reject":
                    answer = services.return_reject(ret=ret, reason=form.cleaned_data["reason"], actor=actor)
                else:
                    answer = services.return_receive(ret=ret, lines=form.lines(), actor=actor)
            except DomainError as error:
                messages.error(request, error.message)
            else:
                self._report(request, ret, answer, f"{step}d" if step != "reject" else "rejected")
            return HttpResponseRedirect(back)
        lines = format_html_join(", ", "{} x {}", ((line.quantity, line.sku) for line in ret.lines.all()))
        context = {
            **self.admin_site.each_context(request),
            "title": f"{step.capitalize()} return {ret.pk}",
            "description": format_html("Order {}: {}", ret.order.number, lines),
            "form": form or _NoFields(),  # approve has no fields: only the confirmation
            "submit": f"Yes, {step}",
            "back_url": back,
        }
        return TemplateResponse(request, "admin/returns/step_form.html", context)

    def goodwill_view(self, request: HttpRequest, order_id: int) -> HttpResponse:
        """A goodwill refund of an order: any amount up to what remains refundable, with a reason."""
        order = get_object_or_404(Order, pk=order_id)
        back = reverse("admin:orders_order_change", args=[order.pk])
        if not self.has_change_permission(request):
            return HttpResponseRedirect(back)
        form = GoodwillRefundForm(request.POST or None, initial={"key": uuid.uuid4().hex})
        if request.method == "POST" and form.is_valid():
            try:
                services.order_goodwill_refund(
                    order=order,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    actor=staff_actor(request.user),
                    key=form.cleaned_data["key"],
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, f"Refunded {form.cleaned_data['amount']} {order.currency} of {order.number}.")
                return HttpResponseRedirect(back)
        refundable = services.order_refundable(order)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Goodwill refund of order {order.number}",
            "description": f"Up to {refundable} {order.currency} can still be refunded "
            f"(already refunded: {order.refunded_amount} {order.currency}).",
            "form": form,
            "submit": "Refund",
            "back_url": back,
        }
        return TemplateResponse(request, "admin/returns/step_form.html", context)


class _NoFields(RejectForm):
    """The approve step's form: nothing to fill in, only the confirmation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.clear()


def order_returns_summary(order: Order) -> SafeString:
    """The order page's returns and refunds: its returns (links), what was refunded, the goodwill refund link."""
    links = format_html_join(
        ", ",
        '<a href="{}">{}</a> ({})',
        (
            (reverse("admin:returns_return_change", args=[ret.pk]), ret.pk, ret.status)
            for ret in order.returns.order_by("created_at")
        ),
    )
    return format_html(
        'Refunded: <b>{} {}</b>. Returns: {}. <a href="{}" id="goodwill-refund">Goodwill refund…</a>',
        order.refunded_amount,
        order.currency,
        links or "none",
        reverse("admin:returns_goodwill_refund", args=[order.pk]),
    )
