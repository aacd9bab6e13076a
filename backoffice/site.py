"""The admin site of the back office: its name, and the operations dashboard as its home page.

Installed through ``backoffice.apps.BackofficeAdminConfig`` (in INSTALLED_APPS instead of
``django.contrib.admin``), so every ``admin.register`` of the project lands here. The home page shows the
dashboard's database panels; the worker and task-queue panel, which asks Temporal, stays on the full dashboard
page so that the home page never waits on it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from backoffice.selectors import dashboard_data


class BackofficeAdminSite(admin.AdminSite):
    site_header = "Northwind Goods · Back office"
    site_title = "Northwind Goods back office"
    index_title = "Operations"
    # The home page lists every model; without the side menu the order list fits 1440 px with its filters.
    enable_nav_sidebar = False

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        extra: dict[str, Any] = {}
        if request.user.has_perm("orders.view_order"):
            extra["dashboard"] = dashboard_data(list_limit=8)
        return super().index(request, {**extra, **(extra_context or {})})
