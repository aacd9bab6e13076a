from __future__ import annotations

from typing import Any

from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.http import HttpRequest

from customers.models import Address, Customer
from oms_project.admin import RecordAdmin


class AddressInline(admin.TabularInline):
    model = Address
    fields = ["name", "line1", "line2", "city", "postal_code", "country", "is_default"]
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "full_name", "phone", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__username", "user__first_name", "user__last_name", "phone"]
    raw_id_fields = ["user"]
    inlines = [AddressInline]

    @admin.display(description="name", ordering="user__last_name")
    def full_name(self, obj: Customer) -> str:
        return obj.full_name


# django-axes' records of sign-ins (docs/security.md "Guessed passwords and floods").
admin.site.unregister([AccessAttempt, AccessLog, AccessFailureLog])


@admin.register(AccessAttempt)
class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    """Failed sign-ins counted towards a lockout. Deleting an account's rows unlocks it; nobody edits them."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessLog)
class AccessLogAdmin(RecordAdmin, axes_admin.AccessLogAdmin):
    """Successful sign-ins and sign-outs."""


@admin.register(AccessFailureLog)
class AccessFailureLogAdmin(RecordAdmin, axes_admin.AccessFailureLogAdmin):
    """Every failed sign-in, kept beyond a lockout (only written with AXES_ENABLE_ACCESS_FAILURE_LOG)."""
