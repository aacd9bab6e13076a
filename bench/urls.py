"""The benchmark stack's URLs: the project's, plus the bench-only endpoints (``bench.settings``).

``POST /bench/sync-checkout/``: the order saga's steps without Temporal (bench/sync_checkout.py).
``POST /bench/noop-cart/<id>/``: one update of a no-op cart workflow (bench/noop_cart.py), no auth, no database.
``POST /bench/noop-order/<number>/``: start a no-op order (bench/noop_order.py) as an order is started, no database.
``GET /bench/floor/{drf,nested,raw}/{orders,products}/``: the list benchmarks' floors (bench/floors.py).
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench.floors import ORDER_ROWS, ORDERS_WITH_ROWS, PRODUCT_ROWS, PRODUCTS_WITH_ROWS, raw_rows
from bench.noop_cart import NOOP_CART_QUEUE, NoopCart
from bench.noop_order import NOOP_ORDER_QUEUE, NoopOrder
from bench.sync_checkout import sync_checkout
from catalog.models import Product
from oms_project import temporal
from oms_project.urls import urlpatterns as project_urls
from orders.models import Order


@csrf_exempt
@require_POST
def noop_cart_add(request: HttpRequest, cart_id: str) -> JsonResponse:
    # The cart add's call (carts/services.py): a plain update of the running workflow, update-with-start only when
    # it is not found, on the web's shared client through the sync-to-async bridge.
    count = temporal.update_with_start(
        NoopCart.add,
        len(request.body),
        workflow=NoopCart.run,
        workflow_arg=cart_id,
        workflow_id=f"bench-noop-cart-{cart_id}",
        task_queue=NOOP_CART_QUEUE,
        running_likely=True,
    )
    return JsonResponse({"count": count})


@csrf_exempt
@require_POST
def noop_order_place(request: HttpRequest, number: str) -> JsonResponse:
    # The order's call (orders/services.py order_start): update-with-start, answered once the first step ran.
    temporal.update_with_start(
        NoopOrder.recorded,
        number,
        workflow=NoopOrder.run,
        workflow_arg=number,
        workflow_id=f"bench-noop-order-{number}",
        task_queue=NOOP_ORDER_QUEUE,
    )
    return JsonResponse({"number": number}, status=201)


urlpatterns = [
    path("bench/sync-checkout/", sync_checkout),
    path("bench/noop-cart/<slug:cart_id>/", noop_cart_add),
    path("bench/noop-order/<slug:number>/", noop_order_place),
    path("bench/floor/drf/orders/", ORDER_ROWS),
    path("bench/floor/drf/products/", PRODUCT_ROWS),
    path("bench/floor/nested/orders/", ORDERS_WITH_ROWS),
    path("bench/floor/nested/products/", PRODUCTS_WITH_ROWS),
    path("bench/floor/raw/orders/", raw_rows(Order)),
    path("bench/floor/raw/products/", raw_rows(Product)),
    *project_urls,
]
