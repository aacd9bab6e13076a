from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse

from reports import selectors
from reports.api.serializers import TopProductsQuerySerializer
from reports.domain import DEFAULT_LIMIT, DEFAULT_METRIC, DEFAULT_WINDOW, Metric, Window
from reports.models import TopProduct


@admin.register(TopProduct)
class TopProductAdmin(admin.ModelAdmin):
    """The changelist is the report: the same selector as the API, with metric / window / limit choices."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        query = TopProductsQuerySerializer(data=request.GET)
        valid = query.is_valid()
        values = (
            query.validated_data
            if valid
            else {"metric": DEFAULT_METRIC, "window": DEFAULT_WINDOW, "limit": DEFAULT_LIMIT}
        )
        report = selectors.top_products(
            metric=Metric(values["metric"]), window=Window(values["window"]), limit=values["limit"]
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Top products",
            "report": report,
            "metrics": [m.value for m in Metric],
            "windows": [w.value for w in Window],
            "limit": values["limit"],
            "errors": query.errors if not valid else {},
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/reports/top_products.html", context)
