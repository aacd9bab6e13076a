from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from oms_project import api, codec_server, health
from oms_project.media import media_urlpatterns

handler404 = "oms_project.api.page_not_found"
handler500 = "oms_project.api.server_error"

api_v1 = [
    path("", include("catalog.api.urls")),
    path("", include("carts.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("returns.api.urls")),
    path("", include("partners.api.urls")),
    path("", include("customers.api.urls")),
    path("", include("webhooks.api.urls")),
    path("", include("reports.api.urls")),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    # Temporal UI remote codec (staff only): shows encrypted payloads decrypted.
    path("temporal-codec/encode", codec_server.encode, name="temporal-codec-encode"),
    path("temporal-codec/decode", codec_server.decode, name="temporal-codec-decode"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(api_version="v1"), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file, so the CSP needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/guide/", api.partner_guide, name="api-guide"),
    path("api/v1/", include(api_v1)),
    # Any other path under /api/ answers the API's JSON 404 body, also with DEBUG on (handler404 is not used then).
    re_path(r"^api/", api.api_not_found, name=api.API_NOT_FOUND_ROUTE),
    *media_urlpatterns(),
    path("", include("customers.urls")),
    path("", include("carts.urls")),
    path("", include("returns.urls")),
    path("", include("orders.urls")),
    path("", include("catalog.urls")),
]
