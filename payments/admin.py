"""Read-only admin: payments change only through their services, the sandbox ledger never by hand."""

from __future__ import annotations

from django.contrib import admin

from oms_project.admin import RecordAdmin
from payments.models import Payment, SandboxLedgerEntry


@admin.register(Payment)
class PaymentAdmin(RecordAdmin):
    list_display = ["order_number", "method", "status", "amount", "currency", "authorization_id", "expires_at"]
    list_filter = ["status", "method", "currency"]
    search_fields = ["order_number", "authorization_id"]
    date_hierarchy = "created_at"


@admin.register(SandboxLedgerEntry)
class SandboxLedgerEntryAdmin(RecordAdmin):
    list_display = [
        "created_at",
        "operation",
        "order_number",
        "status",
        "decline_reason",
        "amount",
        "currency",
        "attempts",
        "authorization_id",
    ]
    list_filter = ["operation", "status"]
    search_fields = ["order_number", "authorization_id", "idempotency_key"]
    date_hierarchy = "created_at"
