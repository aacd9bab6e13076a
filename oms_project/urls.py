from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from oms_project import health

handler404 = "oms_project.api.page_not_found"
handler500 = "oms_project.api.server_error"

api_v1 = [
    path("", include("catalog.api.urls")),
    path("", include("carts.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("partners.api.urls")),
    path("", include("customers.api.urls")),
    path("", include("webhooks.api.urls")),
    path("", include("reports.api.urls")),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(api_version="v1"), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file, so the CSP needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include(api_v1)),
    path("", include("customers.urls")),
    path("", include("carts.urls")),
    path("", include("orders.urls")),
    path("", include("catalog.urls")),
]
