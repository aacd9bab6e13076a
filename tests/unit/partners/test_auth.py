"""The API key machinery, exercised through a real endpoint (GET /api/v1/products/, scope ``orders``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from partners.models import ApiKey, Partner
from partners.services import api_key_authenticate, api_key_create, api_key_revoke, hash_key

pytestmark = pytest.mark.django_db

URL = "/api/v1/products/"


@pytest.fixture(autouse=True)
def _fresh_throttle() -> None:
    cache.clear()


def call(header: str | None) -> tuple[int, dict]:
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(URL)
    return response.status_code, response.json()


def assert_401(header: str | None) -> dict:
    status, body = call(header)
    assert status == 401, body
    assert body["code"] == "not_authenticated" and body["message"]
    assert set(body) >= {"code", "message", "field", "errors"}
    return body


def test_valid_key_with_scope_is_accepted_and_marks_last_use() -> None:
    issued = api_key_create(partner_name="Shop", scopes=["orders"])
    assert issued.api_key.last_used_at is None
    assert call(f"Api-Key {issued.raw_key}")[0] == 200
    issued.api_key.refresh_from_db()
    assert issued.api_key.last_used_at is not None


def test_missing_header() -> None:
    assert_401(None)


@pytest.mark.parametrize(
    "header",
    ["Bearer abc", "Api-Key", "Api-Key   ", "api-key oms_x_y", "Token oms_000000000000_x", "Basic dXNlcjpwdw=="],
)
def test_malformed_header(header: str) -> None:
    body = assert_401(header)
    assert "Api-Key <key>" in body["message"]


@pytest.mark.parametrize("key", ["oms_000000000000_nope", "nonsense", "oms_only-two", "xyz_000000000000_a"])
def test_unknown_key(key: str) -> None:
    assert_401(f"Api-Key {key}")


def test_right_prefix_wrong_secret() -> None:
    issued = api_key_create(partner_name="Shop", scopes=["orders"])
    assert_401(f"Api-Key oms_{issued.api_key.prefix}_not-the-secret")


def test_revoked_key() -> None:
    issued = api_key_create(partner_name="Shop", scopes=["orders"])
    api_key_revoke(api_key=issued.api_key)
    assert "revoked" in assert_401(f"Api-Key {issued.raw_key}")["message"]


def test_expired_key() -> None:
    issued = api_key_create(partner_name="Shop", scopes=["orders"], expires_in_days=1)
    assert call(f"Api-Key {issued.raw_key}")[0] == 200
    ApiKey.objects.filter(pk=issued.api_key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_401(f"Api-Key {issued.raw_key}")


def test_inactive_partner() -> None:
    issued = api_key_create(partner_name="Shop", scopes=["orders"])
    Partner.objects.filter(name="Shop").update(is_active=False)
    assert_401(f"Api-Key {issued.raw_key}")


def test_scope_mismatch_is_403() -> None:
    issued = api_key_create(partner_name="Carrier", scopes=["fulfilment"])
    status, body = call(f"Api-Key {issued.raw_key}")
    assert status == 403
    assert body["code"] == "permission_denied" and "orders" in body["message"]


def test_401_advertises_the_scheme() -> None:
    response = APIClient().get(URL)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Api-Key"


def test_key_is_stored_only_hashed() -> None:
    issued = api_key_create(partner_name="Shop", scopes=["orders", "fulfilment"], name="erp")
    row = ApiKey.objects.filter(pk=issued.api_key.pk).values().get()
    assert row["key_hash"] == hash_key(issued.raw_key) and len(row["key_hash"]) == 64
    secret = issued.raw_key.split("_", 2)[2]
    assert all(secret not in str(value) for value in row.values())
    assert issued.raw_key.startswith(f"oms_{row['prefix']}_")
    assert api_key_authenticate(issued.raw_key) == issued.api_key


def test_the_key_lookup_reads_what_the_orm_reads() -> None:
    """``api_key_authenticate`` reads the key with one hand-written statement: the same fields, converted the same."""
    issued = api_key_create(partner_name="Shop", scopes=["orders", "fulfilment"], expires_in_days=3, name="wh")
    ApiKey.objects.filter(pk=issued.api_key.pk).update(last_used_at=timezone.now())
    looked_up = api_key_authenticate(issued.raw_key)
    expected = ApiKey.objects.select_related("partner").get(pk=issued.api_key.pk)
    assert looked_up is not None
    fields = [f.attname for f in ApiKey._meta.concrete_fields]
    assert [getattr(looked_up, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert looked_up.scopes == ["fulfilment", "orders"] and isinstance(looked_up.scopes, list)
    partner_fields = [f.attname for f in Partner._meta.concrete_fields]
    assert [getattr(looked_up.partner, f) for f in partner_fields] == [
        getattr(expected.partner, f) for f in partner_fields
    ]
    assert not looked_up._state.adding and looked_up._state.db == "default"


def test_a_revoked_key_is_refused_on_the_next_request() -> None:
    issued = api_key_create(partner_name="Shop", scopes=["orders"])
    assert call(f"Api-Key {issued.raw_key}")[0] == 200
    ApiKey.objects.filter(pk=issued.api_key.pk).update(revoked_at=timezone.now())  # e.g. another process
    assert "revoked" in assert_401(f"Api-Key {issued.raw_key}")["message"]
