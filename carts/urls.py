"""Customer-facing page routes of this app (mounted at the site root by oms_project.urls)."""

from django.urls import URLPattern, URLResolver, path

from carts import views

app_name = "carts"

urlpatterns: list[URLPattern | URLResolver] = [
    path("cart/", views.cart_page, name="cart"),
    path("cart/add/", views.cart_add, name="add"),
    path("cart/lines/<str:sku>/", views.cart_line_update, name="line-update"),
    path("cart/lines/<str:sku>/remove/", views.cart_line_remove, name="line-remove"),
    path("cart/clear/", views.cart_clear, name="clear"),
    path("cart/voucher/", views.cart_voucher_apply, name="voucher-apply"),
    path("cart/voucher/remove/", views.cart_voucher_remove, name="voucher-remove"),
]
