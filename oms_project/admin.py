"""Admin building blocks shared by the apps (docs/security.md "Records are read-only in the admin")."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class RecordAdmin(admin.ModelAdmin):
    """A record of what happened (a stored API answer, a ledger line, a stock movement, a sent event): staff may
    read it, nobody adds, changes or deletes it by hand, superusers included. Only the code that did the thing
    writes it; an edited record would be replayed or trusted as if it had happened."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
