"""Customer-facing page routes of this app (mounted at the site root by oms_project.urls)."""

from django.urls import URLPattern, URLResolver, path

from orders import views

app_name = "orders"

urlpatterns: list[URLPattern | URLResolver] = [
    path("checkout/", views.checkout, name="checkout"),
    path("account/orders/", views.order_history, name="history"),
    path("account/orders/<str:number>/", views.order_detail, name="detail"),
    path("account/orders/<str:number>/status/", views.order_status, name="status"),
    path("account/orders/<str:number>/cancel/", views.order_cancel, name="cancel"),
    path("account/orders/<str:number>/reorder/", views.order_reorder, name="reorder"),
    path("account/orders/<str:number>/edit/", views.order_edit, name="edit"),
    path("order/<str:token>/", views.guest_detail, name="guest-detail"),
    path("order/<str:token>/status/", views.guest_status, name="guest-status"),
    path("order/<str:token>/cancel/", views.guest_cancel, name="guest-cancel"),
    path("order/<str:token>/reorder/", views.guest_reorder, name="guest-reorder"),
    path("order/<str:token>/edit/", views.guest_edit, name="guest-edit"),
]
