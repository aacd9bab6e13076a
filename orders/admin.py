from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from oms_project.errors import DomainError
from orders import domain, services
from orders.models import IdempotencyRecord, Order, OrderEvent, OrderLine, SandboxDelivery


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = ["position", "sku", "name", "unit_price", "quantity", "line_total"]


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    readonly_fields = ["type", "at", "actor", "data"]
    exclude = ["idempotency_key"]


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


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Read-mostly: the order workflow writes these rows; staff act through services (actions)."""

    list_display = [
        "number",
        "status",
        "payment_status",
        "delivery_status",
        "sla_breached",
        "total",
        "currency",
        "created_at",
    ]
    list_filter = ["status", SlaBreachedFilter, "payment_status", "delivery_status", "channel"]
    search_fields = ["number", "external_ref", "contact_email"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, OrderEventInline]
    actions = ["cancel_orders"]

    @admin.display(boolean=True, description="SLA breached", ordering="sla_breached_status")
    def sla_breached(self, obj: Order) -> bool:
        return bool(obj.sla_breached_status)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None) -> list[str]:
        return [field.name for field in Order._meta.fields]

    @admin.action(description="Cancel selected orders (runs the compensations)")
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        for order in queryset:
            if not domain.is_cancellable(order.status):
                self.message_user(request, f"{order.number} is {order.status}", messages.WARNING)
                continue
            try:
                services.order_cancel(number=order.number, reason="staff", actor=f"staff:{request.user}")
            except DomainError as error:
                self.message_user(request, f"{order.number}: {error.message}", messages.ERROR)


admin.site.register([IdempotencyRecord, SandboxDelivery])
