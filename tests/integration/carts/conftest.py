from __future__ import annotations

import pytest
from django.test import Client

from partners.services import api_key_create
from tests.integration.carts.seed import seed_variant


class Api:
    """The partner API through Django's test client, with a key."""

    def __init__(self, key: str) -> None:
        self.client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")

    def post(self, path: str, data: dict | None = None):  # type: ignore[no-untyped-def]
        return self.client.post(path, data or {}, content_type="application/json")

    def patch(self, path: str, data: dict):  # type: ignore[no-untyped-def]
        return self.client.patch(path, data, content_type="application/json")

    def get(self, path: str):  # type: ignore[no-untyped-def]
        return self.client.get(path)

    def delete(self, path: str):  # type: ignore[no-untyped-def]
        return self.client.delete(path)

    def new_cart(self) -> str:
        response = self.post("/api/v1/carts/")
        assert response.status_code == 201, response.content
        return response.json()["id"]


@pytest.fixture
def api(live_oms) -> Api:  # type: ignore[no-untyped-def]
    return Api(api_key_create(partner_name="Acme", scopes=["orders"]).raw_key)


@pytest.fixture
def other_api(live_oms) -> Api:  # type: ignore[no-untyped-def]
    return Api(api_key_create(partner_name="Globex", scopes=["orders"]).raw_key)


@pytest.fixture
def skus(live_oms) -> dict[str, str]:  # type: ignore[no-untyped-def]
    seed_variant("TEE-S", price="12.50", on_hand=100)
    seed_variant("MUG", price="7.99", on_hand=5)
    seed_variant("OLD", price="1.00", on_hand=10, active=False)
    return {"tee": "TEE-S", "mug": "MUG", "old": "OLD"}
