"""Partner API routes of this app (mounted under /api/v1/ by oms_project.urls)."""

from django.urls import URLPattern, URLResolver, path

from reports.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("reports/top-products/", views.TopProductsApi.as_view(), name="api-reports-top-products"),
]
