"""Storefront return pages, under the customer's order page and under the guest's signed order link."""

from django.urls import URLPattern, URLResolver, path

from returns import views

app_name = "returns"

urlpatterns: list[URLPattern | URLResolver] = [
    path("account/orders/<str:number>/returns/new/", views.return_new, name="new"),
    path("account/orders/<str:number>/returns/<str:return_id>/", views.return_detail, name="detail"),
    path("account/orders/<str:number>/returns/<str:return_id>/cancel/", views.return_cancel, name="cancel"),
    path("order/<str:token>/returns/new/", views.return_new, name="guest-new"),
    path("order/<str:token>/returns/<str:return_id>/", views.return_detail, name="guest-detail"),
    path("order/<str:token>/returns/<str:return_id>/cancel/", views.return_cancel, name="guest-cancel"),
]
