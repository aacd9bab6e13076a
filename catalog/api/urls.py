"""Partner API routes of this app (mounted under /api/v1/ by oms_project.urls)."""

from django.urls import URLPattern, URLResolver, path

from catalog.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("products/", views.ProductListApi.as_view(), name="api-product-list"),
    # str, not int: a malformed id answers the API's JSON 404, not Django's HTML one.
    path("products/<str:product_id>/", views.ProductDetailApi.as_view(), name="api-product-detail"),
]
