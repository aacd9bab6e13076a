"""Partner API routes of returns (mounted under /api/v1/ by oms_project.urls)."""

from django.urls import URLPattern, URLResolver, path

from returns.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("orders/<str:number>/returns/", views.OrderReturnCreateApi.as_view(), name="order-returns"),
    path("returns/", views.ReturnListApi.as_view(), name="return-list"),
    path("returns/<str:return_id>/", views.ReturnDetailApi.as_view(), name="return-detail"),
    path("returns/<str:return_id>/approve/", views.ReturnApproveApi.as_view(), name="return-approve"),
    path("returns/<str:return_id>/reject/", views.ReturnRejectApi.as_view(), name="return-reject"),
    path("returns/<str:return_id>/receive/", views.ReturnReceiveApi.as_view(), name="return-receive"),
    path("returns/<str:return_id>/cancel/", views.ReturnCancelApi.as_view(), name="return-cancel"),
]
