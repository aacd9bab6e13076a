from __future__ import annotations

from django.contrib import admin

from customers.models import Address, Customer


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
