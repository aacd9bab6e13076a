"""Partner API routes of this app (mounted under /api/v1/ by oms_project.urls)."""

from django.urls import URLPattern, URLResolver, path

from webhooks.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("webhooks/", views.WebhookListCreateApi.as_view(), name="api-webhooks"),
    path("webhooks/<int:endpoint_id>/", views.WebhookDeleteApi.as_view(), name="api-webhook"),
    path(
        "webhooks/<int:endpoint_id>/deliveries/", views.WebhookDeliveryListApi.as_view(), name="api-webhook-deliveries"
    ),
]
