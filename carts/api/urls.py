"""Partner API routes of this app (mounted under /api/v1/ by oms_project.urls)."""

from django.urls import URLPattern, URLResolver, path

from carts.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("carts/", views.CartCreateApi.as_view(), name="api-cart-create"),
    path("carts/<str:cart_id>/", views.CartDetailApi.as_view(), name="api-cart-detail"),
    path("carts/<str:cart_id>/items/", views.CartItemsApi.as_view(), name="api-cart-items"),
    path("carts/<str:cart_id>/items/<str:sku>/", views.CartItemApi.as_view(), name="api-cart-item"),
    path("carts/<str:cart_id>/voucher/", views.CartVoucherApi.as_view(), name="api-cart-voucher"),
]
