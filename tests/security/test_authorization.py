"""Object- and function-level authorization (OWASP API1, API5) over every route of the URLconf.

The expected access of each operation is written down here from API.md; a test first checks that this table
names exactly the operations the URLconf has, so a new route fails the suite until its access is decided.
Then, with real keys, real objects and the real workers:

* BOLA: another partner's cart, order, webhook and deliveries answer 404 (never 403, never the data), and the
  owner's own request still works afterwards (the id was real and the attack changed nothing);
* scopes: every operation with an ``orders``-only and a ``fulfilment``-only key: 403 without the scope,
  never 401/403 with it; every operation without a key: 401;
* pages: another customer's order pages and a guest link for someone else's order answer 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from carts.services import customer_for_user
from catalog.models import Variant
from customers.models import Address
from orders import services
from orders.domain import Channel
from orders.lookup import order_lookup_token
from orders.models import Order
from tests.integration.orders.helpers import order_arguments, order_body, wait_for
from tests.security.conftest import SKU, PartnerOwner
from tests.security.routes import Route, all_routes, api_operations, page_routes_with_ids

pytestmark = [pytest.mark.integration, pytest.mark.security]

ORDERS, FULFILMENT = "orders", "fulfilment"
ANY_KEY = frozenset({ORDERS, FULFILMENT})


@dataclass(frozen=True)
class Access:
    scopes: frozenset[str]  # a key needs any one of these
    # "own": another partner's object is 404; "all": fulfilment works on every partner's orders (API.md);
    # "public": not owned (catalog, reports); "collection": no object id, lists only the caller's own.
    ownership: str


def access(*scopes: str, ownership: str) -> Access:
    return Access(frozenset(scopes), ownership)


# From API.md. Keys: (URL name, method).
API_ACCESS: dict[tuple[str, str], Access] = {
    ("api-product-list", "GET"): access(ORDERS, ownership="public"),
    ("api-product-detail", "GET"): access(ORDERS, ownership="public"),
    ("api-cart-create", "POST"): access(ORDERS, ownership="collection"),
    ("api-cart-detail", "GET"): access(ORDERS, ownership="own"),
    ("api-cart-items", "POST"): access(ORDERS, ownership="own"),
    ("api-cart-items", "DELETE"): access(ORDERS, ownership="own"),
    ("api-cart-item", "PATCH"): access(ORDERS, ownership="own"),
    ("api-cart-item", "DELETE"): access(ORDERS, ownership="own"),
    ("api-cart-voucher", "POST"): access(ORDERS, ownership="own"),
    ("api-cart-voucher", "DELETE"): access(ORDERS, ownership="own"),
    ("cart-checkout", "POST"): access(ORDERS, ownership="own"),
    ("order-list", "GET"): access(ORDERS, FULFILMENT, ownership="collection"),
    ("order-list", "POST"): access(ORDERS, ownership="collection"),
    ("order-detail", "GET"): access(ORDERS, FULFILMENT, ownership="own"),
    ("order-cancel", "POST"): access(ORDERS, ownership="own"),
    ("order-delivery", "PATCH"): access(ORDERS, ownership="own"),
    ("order-ship", "POST"): access(FULFILMENT, ownership="all"),
    ("order-delivery-events", "POST"): access(FULFILMENT, ownership="all"),
    ("order-edit", "POST"): access(ORDERS, ownership="own"),
    ("order-shipments", "POST"): access(FULFILMENT, ownership="all"),
    ("order-shipment-delivery-events", "POST"): access(FULFILMENT, ownership="all"),
    ("api-webhooks", "GET"): access(ORDERS, ownership="collection"),
    ("api-webhooks", "POST"): access(ORDERS, ownership="collection"),
    ("api-webhook", "DELETE"): access(ORDERS, ownership="own"),
    ("api-webhook-deliveries", "GET"): access(ORDERS, ownership="own"),
    ("api-reports-top-products", "GET"): access(*ANY_KEY, ownership="public"),
    ("order-returns", "POST"): access(ORDERS, ownership="own"),
    ("return-list", "GET"): access(ORDERS, FULFILMENT, ownership="collection"),
    ("return-detail", "GET"): access(ORDERS, FULFILMENT, ownership="own"),
    ("return-approve", "POST"): access(FULFILMENT, ownership="all"),
    ("return-reject", "POST"): access(FULFILMENT, ownership="all"),
    ("return-receive", "POST"): access(FULFILMENT, ownership="all"),
    ("return-cancel", "POST"): access(ORDERS, ownership="own"),
}

ADDRESS = {"name": "Ada Lovelace", "line1": "2 Side St", "city": "Berlin", "postal_code": "10117", "country": "DE"}
# A body that would succeed for the owner, so a missing ownership check would show as a 2xx.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("api-cart-items", "POST"): {"sku": SKU, "quantity": 1},
    ("api-cart-item", "PATCH"): {"quantity": 2},
    ("api-cart-voucher", "POST"): {"code": "AUTHZ"},  # unknown: the owner gets 400 voucher_invalid, never a 404
    ("cart-checkout", "POST"): {k: v for k, v in order_body(SKU).items() if k != "lines"},
    ("order-list", "POST"): order_body(SKU),
    ("order-cancel", "POST"): {"reason": "changed my mind"},
    ("order-delivery", "PATCH"): {"shipping_address": ADDRESS},
    ("order-ship", "POST"): {"carrier": "DHL", "tracking_number": "00340434161094042557"},
    ("order-delivery-events", "POST"): {
        "event_id": "ev-1",
        "status": "accepted",
        "occurred_at": "2026-01-01T10:00:00+00:00",
    },
    ("api-webhooks", "POST"): {"url": "http://127.0.0.1:9/other", "events": ["order.created"]},
    ("order-returns", "POST"): {"lines": [{"sku": SKU, "quantity": 1}], "reason": "damaged"},
    ("return-reject", "POST"): {"reason": "not ours"},
    ("order-edit", "POST"): {"lines": [{"sku": SKU, "quantity": 2}]},
    ("order-shipments", "POST"): {"carrier": "DHL", "tracking_number": "00340434161094042558"},
    ("order-shipment-delivery-events", "POST"): {
        "event_id": "ev-2",
        "status": "accepted",
        "occurred_at": "2026-01-01T10:00:00+00:00",
    },
}


def operation_id(operation: tuple[Route, str]) -> str:
    route, method = operation
    return f"{method} /{route.route}"


def call(client: Client, route: Route, method: str, owner: PartnerOwner, idempotency_key: str = "authz") -> Any:
    path = route.path(
        number=owner.order_number,
        cart_id=owner.cart_id,
        endpoint_id=owner.webhook_id,
        sku=SKU,
        product_id=Variant.objects.get(sku=SKU).product_id,
        return_id=owner.return_id or "R-NONE",
        shipment=1,
    )
    body = BODIES.get((route.name, method))
    kwargs: dict[str, Any] = {"content_type": "application/json", "HTTP_IDEMPOTENCY_KEY": idempotency_key}
    return getattr(client, method.lower())(path, body, **kwargs) if body else getattr(client, method.lower())(path)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert body["code"] == code and body["message"] and set(body) >= {"code", "message", "field", "errors"}
    return body


def test_the_access_table_names_every_api_operation_of_the_urlconf() -> None:
    served = {(route.name, method) for route, method in api_operations()}
    assert served == set(API_ACCESS), {"undecided": served - set(API_ACCESS), "gone": set(API_ACCESS) - served}


OWN_OPERATIONS = [op for op in api_operations() if API_ACCESS[(op[0].name, op[1])].ownership == "own"]


@pytest.fixture
def owners(acme: PartnerOwner, globex: PartnerOwner) -> tuple[PartnerOwner, PartnerOwner]:
    return acme.own_everything(), globex.own_everything()


@pytest.mark.parametrize("operation", OWN_OPERATIONS, ids=operation_id)
def test_another_partners_object_is_404_and_untouched(
    operation: tuple[Route, str], owners: tuple[PartnerOwner, PartnerOwner]
) -> None:
    route, method = operation
    acme, globex = owners
    before = Order.objects.get(number=acme.order_number).status
    intruder = globex.client((ORDERS,))
    body = assert_error(call(intruder, route, method, acme, idempotency_key="intruder"), 404, "not_found")
    assert set(body) == {"code", "message", "field", "errors"} and not body["errors"]  # the error body, no data
    assert Order.objects.get(number=acme.order_number).status == before
    # The id is real and still the owner's: the owner's own request is not a 404.
    own = call(acme.client((ORDERS,)), route, method, acme, idempotency_key="owner")
    assert own.status_code < 400 or own.json()["code"] != "not_found", own.content[:300]


def test_lists_hold_only_the_callers_objects(owners: tuple[PartnerOwner, PartnerOwner]) -> None:
    acme, globex = owners
    orders = globex.client((ORDERS,)).get("/api/v1/orders/").json()["results"]
    assert {o["number"] for o in orders} == {globex.order_number, globex.returned_order}
    hooks = globex.client((ORDERS,)).get("/api/v1/webhooks/").json()["results"]
    assert [h["id"] for h in hooks] == [globex.webhook_id]
    returns = globex.client((ORDERS,)).get("/api/v1/returns/").json()["results"]
    assert [r["id"] for r in returns] == [globex.return_id]
    # The fulfilment scope sees every partner's orders by design (API.md: a carrier or 3PL ships them all).
    everything = globex.client((FULFILMENT,)).get("/api/v1/orders/").json()["results"]
    owned = {acme.order_number, acme.returned_order, globex.order_number, globex.returned_order}
    assert {o["number"] for o in everything} == owned
    all_returns = globex.client((FULFILMENT,)).get("/api/v1/returns/").json()["results"]
    assert {r["id"] for r in all_returns} == {acme.return_id, globex.return_id}


@pytest.mark.parametrize("scopes", [(ORDERS,), (FULFILMENT,)], ids=lambda s: f"{s[0]}-key")
def test_scope_matrix_over_every_operation(scopes: tuple[str, ...], acme: PartnerOwner) -> None:
    acme.own_everything()
    client = acme.client(scopes)
    outcomes: dict[str, int] = {}
    for route, method in api_operations():
        required = API_ACCESS[(route.name, method)].scopes
        response = call(client, route, method, acme, idempotency_key=f"scope-{route.name}-{method}")
        outcomes[operation_id((route, method))] = response.status_code
        if required & set(scopes):
            assert response.status_code not in (401, 403), (route.route, method, response.content[:300])
            assert response.status_code < 500
        else:
            body = assert_error(response, 403, "permission_denied")
            assert "scope" in body["message"]
    # API.md's named cases, spelled out: fulfilment cannot create or cancel; orders cannot ship.
    if scopes == (FULFILMENT,):
        assert outcomes["POST /api/v1/orders/"] == outcomes["POST /api/v1/orders/<str:number>/cancel/"] == 403
    else:
        assert outcomes["POST /api/v1/orders/<str:number>/ship/"] == 403


def test_every_operation_needs_a_key(acme: PartnerOwner) -> None:
    acme.own_everything()
    for route, method in api_operations():
        response = call(Client(), route, method, acme)
        assert_error(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"] == "Api-Key"


# --- customer pages ----------------------------------------------------------------------------------------
# Page routes with an id. "order" pages take an order number and must find only the signed-in customer's
# orders; "guest" pages take a signed lookup token and only a guest order's token opens them.
PAGE_ACCESS: dict[str, tuple[str, str]] = {
    "orders:detail": ("order", "GET"),
    "orders:status": ("order", "GET"),
    "orders:cancel": ("order", "POST"),
    "orders:reorder": ("order", "POST"),
    "orders:edit": ("order", "GET"),
    "orders:guest-edit": ("guest", "GET"),
    "orders:guest-detail": ("guest", "GET"),
    "orders:guest-status": ("guest", "GET"),
    "orders:guest-cancel": ("guest", "POST"),
    "orders:guest-reorder": ("guest", "POST"),
    "returns:new": ("order", "GET"),
    "returns:detail": ("order", "GET"),
    "returns:cancel": ("order", "POST"),
    "returns:guest-new": ("guest", "GET"),
    "returns:guest-detail": ("guest", "GET"),
    "returns:guest-cancel": ("guest", "POST"),
    "address-edit": ("address", "GET"),
    "address-delete": ("address", "POST"),
}
# Routes with a parameter that names no one's object: the visitor's own cart line, the public product page,
# Django's password-reset link (its own signed token).
NOT_OWNED_PAGES = {"carts:line-update", "carts:line-remove", "catalog:product-detail", "password_reset_confirm"}


def test_the_page_table_names_every_page_route_with_an_id() -> None:
    served = {route.name for route in page_routes_with_ids()}
    assert served == set(PAGE_ACCESS) | NOT_OWNED_PAGES


def customer_client(username: str) -> tuple[Client, Any]:
    user = get_user_model().objects.create_user(username=username, email=f"{username}@example.com", password="x")
    client = Client()
    client.force_login(user)
    return client, customer_for_user(user=user)


def place_web_order(customer: Any, key: str) -> str:
    body = order_body(SKU)
    order = services.order_place(
        customer=customer,
        channel=Channel.WEB,
        **order_arguments(body),
        idempotency_key=key,
        actor="test",
    )
    return wait_for(order.number, {"confirmed"}).number


@pytest.mark.parametrize("name", sorted(PAGE_ACCESS))
def test_another_customers_page_is_404(name: str, acme: PartnerOwner) -> None:
    kind, method = PAGE_ACCESS[name]
    ann, ann_customer = customer_client("ann")
    bob, _ = customer_client("bob")
    ann_number = place_web_order(ann_customer, f"ann-{uuid.uuid4().hex}")
    partner_number = acme.place_order()
    route = next(r for r in all_routes() if r.name == name)
    send = bob.get if method == "GET" else bob.post
    if kind == "address":
        # Another customer's address book entry, by id: unknown to Bob, untouched.
        address = Address.objects.create(
            customer=ann_customer, name="Ann", line1="1 Main St", city="Berlin", postal_code="10115", country="DE"
        )
        assert send(route.path(address_id=address.pk)).status_code == 404
        assert Address.objects.filter(pk=address.pk, city="Berlin").exists()
        own = ann.get if method == "GET" else ann.post
        assert own(route.path(address_id=address.pk)).status_code in (200, 302)  # the owner's own page works
    elif kind == "order":
        # Another customer's order, and a partner's order, by number: both unknown to Bob.
        for number in (ann_number, partner_number):
            assert send(route.path(number=number, return_id="R-ANY")).status_code == 404
        anonymous = Client().get if method == "GET" else Client().post
        assert anonymous(route.path(number=ann_number, return_id="R-ANY")).status_code == 404  # signed out: 404 too
        assert ann.get(f"/account/orders/{ann_number}/").status_code == 200
    else:
        # A validly signed token for an order that is not a guest order, and a forged one: both 404.
        for token in (order_lookup_token(number=ann_number), order_lookup_token(number=partner_number)):
            assert send(route.path(token=token, return_id="R-ANY")).status_code == 404
        assert send(route.path(token=f"{ann_number}:forged", return_id="R-ANY")).status_code == 404
    assert Order.objects.get(number=ann_number).status == "confirmed"
    assert Order.objects.get(number=partner_number).status == "confirmed"


def test_checkout_with_another_visitors_cart_id_is_refused(catalog: str) -> None:
    ann, _ = customer_client("ann")
    bob, _ = customer_client("bob")
    assert ann.post("/cart/add/", {"sku": SKU, "quantity": 2}).status_code == 302
    ann_cart_id = ann.get("/checkout/").context["form"].initial["cart_id"]
    form = {"cart_id": ann_cart_id, "idempotency_key": "bob-1", "email": "bob@example.com", "name": "Bob"}
    form |= {"line1": "1 Main St", "postal_code": "10115", "city": "Berlin", "country": "DE"}
    form |= {"card_token": "pm_card_ok"}
    response = bob.post("/checkout/", form)
    assert response.status_code == 302 and response["Location"] == "/cart/"
    assert not Order.objects.exists()
    assert ann.get("/checkout/").context["cart"].item_count == 2
