"""Customer-facing page routes of this app (mounted at the site root by oms_project.urls)."""

from django.urls import URLPattern, URLResolver, path

from catalog import views

app_name = "catalog"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.product_list, name="product-list"),
    path("products/<int:pk>/", views.product_detail, name="product-detail"),
]
