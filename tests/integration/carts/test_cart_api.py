"""The partner cart API against the real dev server and workers (API.md "Carts")."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_add_merge_set_remove_reset(api, skus) -> None:  # type: ignore[no-untyped-def]
    cart_id = api.new_cart()
    url = f"/api/v1/carts/{cart_id}/"
    body = api.get(url).json()
    assert body["lines"] == [] and body["item_count"] == 0 and body["subtotal"] == "0.00"
    assert body["currency"] == "EUR" and "T" in body["expires_at"]

    r = api.post(url + "items/", {"sku": "TEE-S", "quantity": 2})
    assert r.status_code == 200, r.content
    refused = api.post(url + "items/", {"sku": "TEE-S", "quantity": 3, "unit_price": "0.01"})  # server-owned
    _error(refused, 400, "validation_error", "unit_price")
    r = api.post(url + "items/", {"sku": "TEE-S", "quantity": 3})
    assert r.json()["lines"] == [
        {
            "sku": "TEE-S",
            "name": "Product TEE-S - Variant TEE-S",
            "quantity": 5,
            "unit_price": "12.50",
            "line_total": "62.50",
        }
    ]
    api.post(url + "items/", {"sku": "MUG", "quantity": 1})
    r = api.patch(url + "items/MUG/", {"quantity": 4})
    body = r.json()
    assert r.status_code == 200 and body["item_count"] == 9 and body["subtotal"] == "94.46"
    r = api.patch(url + "items/MUG/", {"quantity": 0})
    assert [line["sku"] for line in r.json()["lines"]] == ["TEE-S"]
    api.post(url + "items/", {"sku": "MUG", "quantity": 1})
    r = api.delete(url + "items/TEE-S/")
    assert [line["sku"] for line in r.json()["lines"]] == ["MUG"]
    r = api.delete(url + "items/")
    assert r.status_code == 200 and r.json()["lines"] == [] and r.json()["item_count"] == 0
    assert api.get(url).json()["lines"] == []


def _error(response, status: int, code: str, field: str | None = None) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"code", "message", "field", "errors"} and body["code"] == code, body
    assert body["message"]
    if field is not None:
        assert body["field"] == field, body


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({"sku": "TEE-S", "quantity": 0}, 400, "invalid_quantity", "quantity"),
        ({"sku": "TEE-S", "quantity": 1000}, 400, "invalid_quantity", "quantity"),
        ({"sku": "TEE-S", "quantity": -3}, 400, "invalid_quantity", "quantity"),
        ({"sku": "TEE-S", "quantity": "many"}, 400, "validation_error", "quantity"),
        ({"sku": "TEE-S"}, 400, "validation_error", "quantity"),
        ({"quantity": 1}, 400, "validation_error", "sku"),
        ({"sku": "NOPE", "quantity": 1}, 400, "unknown_sku", "sku"),
        ({"sku": "OLD", "quantity": 1}, 400, "unknown_sku", "sku"),
        ({"sku": "../etc", "quantity": 1}, 400, "unknown_sku", "sku"),
        ({"sku": "MUG", "quantity": 6}, 409, "insufficient_stock", "quantity"),
    ],
)
def test_bad_adds_are_refused_with_the_error_body(api, skus, payload, status, code, field) -> None:  # type: ignore[no-untyped-def]
    cart_id = api.new_cart()
    _error(api.post(f"/api/v1/carts/{cart_id}/items/", payload), status, code, field)
    assert api.get(f"/api/v1/carts/{cart_id}/").json()["lines"] == []


def test_limits_count_the_merged_quantity_and_the_lines(api, skus) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.carts.seed import seed_variant

    cart_id = api.new_cart()
    url = f"/api/v1/carts/{cart_id}/items/"
    api.post(url, {"sku": "MUG", "quantity": 5})
    response = api.post(url, {"sku": "MUG", "quantity": 1})
    _error(response, 409, "insufficient_stock")
    assert response.json()["details"] == {"sku": "MUG", "requested": 6, "available": 5}
    seed_variant("BIG", on_hand=5000)
    api.post(url, {"sku": "BIG", "quantity": 999})
    _error(api.post(url, {"sku": "BIG", "quantity": 1}), 400, "invalid_quantity", "quantity")
    _error(api.patch(f"{url}BIG/", {"quantity": 1000}), 400, "invalid_quantity", "quantity")
    for i in range(98):
        seed_variant(f"L{i}", on_hand=1)
        assert api.post(url, {"sku": f"L{i}", "quantity": 1}).status_code == 200
    seed_variant("LAST", on_hand=1)
    _error(api.post(url, {"sku": "LAST", "quantity": 1}), 400, "too_many_lines")
    body = api.get(f"/api/v1/carts/{cart_id}/").json()
    assert len(body["lines"]) == 100 and body["item_count"] == 5 + 999 + 98


def test_auth_scope_and_other_partners_carts(api, other_api, skus, live_oms) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    from partners.services import api_key_create

    cart_id = api.new_cart()
    api.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "TEE-S", "quantity": 1})
    for response in (
        other_api.get(f"/api/v1/carts/{cart_id}/"),
        other_api.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "TEE-S", "quantity": 1}),
        other_api.delete(f"/api/v1/carts/{cart_id}/items/"),
        api.get("/api/v1/carts/0123456789abcdef0123456789abcdef/"),
    ):
        _error(response, 404, "not_found")
        assert "TEE-S" not in response.content.decode()
    _error(Client().post("/api/v1/carts/"), 401, "not_authenticated")
    fulfilment = api_key_create(partner_name="Carrier", scopes=["fulfilment"]).raw_key
    _error(Client(HTTP_AUTHORIZATION=f"Api-Key {fulfilment}").post("/api/v1/carts/"), 403, "permission_denied")
    assert api.get(f"/api/v1/carts/{cart_id}/").json()["item_count"] == 1


def test_checkout_hand_off_is_exactly_once_and_closes_the_cart(api, skus) -> None:  # type: ignore[no-untyped-def]
    from carts.errors import CartCheckedOut, CartEmpty
    from carts.services import cart_checkout_close
    from catalog.models import Variant

    empty = api.new_cart()
    with pytest.raises(CartEmpty):
        cart_checkout_close(cart_id=empty, idempotency_key="k0")

    cart_id = api.new_cart()
    url = f"/api/v1/carts/{cart_id}/"
    api.post(url + "items/", {"sku": "TEE-S", "quantity": 2})
    api.post(url + "items/", {"sku": "MUG", "quantity": 1})
    with pytest.raises(CartEmpty):  # also an empty cart whose workflow runs
        cart_checkout_close(cart_id=api.new_cart(), idempotency_key="k0")
    Variant.objects.filter(sku="TEE-S").update(price="13.00")  # re-priced at checkout

    first = cart_checkout_close(cart_id=cart_id, idempotency_key="order-1")
    assert first.cart_id == cart_id and first.currency == "EUR" and first.subtotal == "33.99"
    assert [(li.sku, li.quantity, li.unit_price, li.line_total) for li in first.lines] == [
        ("TEE-S", 2, "13.00", "26.00"),
        ("MUG", 1, "7.99", "7.99"),
    ]
    assert cart_checkout_close(cart_id=cart_id, idempotency_key="order-1") == first
    with pytest.raises(CartCheckedOut):
        cart_checkout_close(cart_id=cart_id, idempotency_key="order-2")

    # Closed: every mutation and the read answer 409 cart_checked_out.
    _error(api.post(url + "items/", {"sku": "TEE-S", "quantity": 1}), 409, "cart_checked_out")
    _error(api.patch(url + "items/TEE-S/", {"quantity": 1}), 409, "cart_checked_out")
    _error(api.delete(url + "items/TEE-S/"), 409, "cart_checked_out")
    _error(api.delete(url + "items/"), 409, "cart_checked_out")
    _error(api.get(url), 409, "cart_checked_out")
    # ... also after the workflow has ended (the row keeps the contents for the same key).
    assert cart_checkout_close(cart_id=cart_id, idempotency_key="order-1") == first


def test_a_closed_workflow_is_never_restarted_by_a_late_update(api, skus) -> None:  # type: ignore[no-untyped-def]
    """A request that read the row as open just before checkout must not resurrect the cart."""
    from carts import services
    from carts.contracts import cart_workflow_id
    from carts.models import Cart
    from oms_project import temporal
    from oms_project.errors import DomainError

    cart_id = api.new_cart()
    api.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "TEE-S", "quantity": 1})
    stale = Cart.objects.get(cart_id=cart_id)
    services.cart_checkout_close(cart_id=cart_id, idempotency_key="k")
    temporal.run(lambda client: client.get_workflow_handle(cart_workflow_id(cart_id)).result())  # it has ended

    with pytest.raises(DomainError) as refused:
        services.cart_add_item(cart=stale, sku="TEE-S", quantity=1)
    assert refused.value.code == "cart_checked_out"


@pytest.mark.slow
def test_expired_cart_answers_cart_expired_and_a_new_cart_can_start(api, skus) -> None:  # type: ignore[no-untyped-def]
    import time
    from datetime import timedelta

    from carts.models import Cart
    from tests.temporal_env import settings_override

    with settings_override(CART_GUEST_IDLE_TIMEOUT=timedelta(seconds=2)):
        cart_id = api.new_cart()
        url = f"/api/v1/carts/{cart_id}/"
        assert api.post(url + "items/", {"sku": "TEE-S", "quantity": 1}).status_code == 200
        deadline = time.monotonic() + 20
        while Cart.objects.get(cart_id=cart_id).status != "expired" and time.monotonic() < deadline:
            time.sleep(0.2)
    _error(api.get(url), 409, "cart_expired")
    _error(api.post(url + "items/", {"sku": "TEE-S", "quantity": 1}), 409, "cart_expired")
    _error(api.delete(url + "items/"), 409, "cart_expired")
    fresh = api.new_cart()
    assert api.post(f"/api/v1/carts/{fresh}/items/", {"sku": "TEE-S", "quantity": 1}).status_code == 200
