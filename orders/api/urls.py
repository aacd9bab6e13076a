"""Partner API routes of this app (mounted under /api/v1/ by oms_project.urls)."""

from django.urls import URLPattern, URLResolver, path

from orders.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("orders/", views.OrderListCreateApi.as_view(), name="order-list"),
    path("orders/<str:number>/", views.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<str:number>/cancel/", views.OrderCancelApi.as_view(), name="order-cancel"),
    path("orders/<str:number>/ship/", views.OrderShipApi.as_view(), name="order-ship"),
    path("orders/<str:number>/edit/", views.OrderEditApi.as_view(), name="order-edit"),
    path("orders/<str:number>/delivery-events/", views.OrderDeliveryEventApi.as_view(), name="order-delivery-events"),
    path("orders/<str:number>/shipments/", views.OrderShipmentCreateApi.as_view(), name="order-shipments"),
    path(
        "orders/<str:number>/shipments/<int:shipment>/delivery-events/",
        views.OrderShipmentDeliveryEventApi.as_view(),
        name="order-shipment-delivery-events",
    ),
    path("orders/<str:number>/delivery/", views.OrderDeliveryApi.as_view(), name="order-delivery"),
    # The carts app owns carts/api/urls.py; checkout creates an order, so it is routed here.
    path("carts/<str:cart_id>/checkout/", views.CartCheckoutApi.as_view(), name="cart-checkout"),
]
