"""Vouchers in the back office: a list with their usage, search by code, an active filter and a bulk
deactivation. ``used_count`` is read-only here: only the order's saga step changes it (vouchers.services)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from oms_project.admin import RecordAdmin
from vouchers.models import Voucher, VoucherRedemption
from vouchers.services import voucher_code_normalize, voucher_definition_problem, vouchers_deactivate

VOUCHER_FIELDS = [
    "code",
    "kind",
    "value",
    "currency",
    "min_subtotal",
    "starts_at",
    "ends_at",
    "usage_limit",
    "once_per_customer",
    "is_active",
]


class VoucherForm(forms.ModelForm):
    """Checks a definition by the same rules as ``create_voucher`` (a form error, never a database error)."""

    class Meta:
        model = Voucher
        fields = VOUCHER_FIELDS

    def clean(self) -> dict:
        data = super().clean()
        problem = voucher_definition_problem(
            code=data.get("code") or "",
            kind=data.get("kind") or "",
            value=data.get("value"),
            currency=data.get("currency") or "",
            starts_at=data.get("starts_at"),
            ends_at=data.get("ends_at"),
        )
        if problem:
            self.add_error(problem[0], problem[1])
        code = voucher_code_normalize(data.get("code") or "")
        if Voucher.objects.filter(code=code).exclude(pk=self.instance.pk).exists():
            self.add_error("code", f"The code {code} exists already.")
        return data


class RedemptionInline(admin.TabularInline):
    model = VoucherRedemption
    fields = ["order_number", "email", "redeemed_at", "released_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    max_num = 0  # a record: never added or edited by hand

    def has_add_permission(self, request: HttpRequest, obj: Voucher | None = None) -> bool:
        return False


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    form = VoucherForm
    list_display = [
        "code",
        "kind",
        "value",
        "currency",
        "usage",
        "once_per_customer",
        "starts_at",
        "ends_at",
        "is_active",
    ]
    list_filter = ["is_active", "kind", "once_per_customer"]
    search_fields = ["code"]
    search_help_text = "Voucher code."
    readonly_fields = ["used_count", "created_at"]
    actions = ["deactivate"]
    inlines = [RedemptionInline]
    fields = [*VOUCHER_FIELDS, "used_count", "created_at"]

    @admin.display(description="usage", ordering="used_count")
    def usage(self, obj: Voucher) -> str:
        return f"{obj.used_count} / {obj.usage_limit}" if obj.usage_limit is not None else f"{obj.used_count} / ∞"

    def save_model(self, request: HttpRequest, obj: Voucher, form: object, change: bool) -> None:
        obj.code = voucher_code_normalize(obj.code)  # codes are case-insensitive: stored upper-case
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: Voucher | None = None) -> bool:
        return obj is None or not obj.redemptions.exists()  # a used voucher stays (orders refer to it): deactivate

    @admin.action(description="Deactivate selected vouchers", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Voucher]) -> None:
        count = vouchers_deactivate(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} voucher(s) deactivated.", messages.SUCCESS)


@admin.register(VoucherRedemption)
class VoucherRedemptionAdmin(RecordAdmin):
    list_display = ["order_number", "voucher", "email", "redeemed_at", "released_at"]
    list_filter = [("released_at", admin.EmptyFieldListFilter)]
    search_fields = ["order_number", "voucher__code", "email"]
    list_select_related = ["voucher"]
