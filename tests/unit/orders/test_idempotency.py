from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from orders.errors import IdempotencyInFlight, IdempotencyKeyMissing, IdempotencyKeyReused
from orders.idempotency import (
    idempotency_claim,
    idempotency_complete,
    idempotency_release,
    request_fingerprint,
)
from orders.models import IdempotencyRecord
from partners.models import Partner
from partners.services import api_key_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner() -> Partner:
    return Partner.objects.create(name="p1")


def claim(partner: Partner, key: str = "k1", body: object = None):  # type: ignore[no-untyped-def]
    return idempotency_claim(
        partner=partner, key=key, scope="orders.create", request_hash=request_fingerprint(body or {"a": 1})
    )


def test_fingerprint_ignores_key_order_and_spacing() -> None:
    assert request_fingerprint({"a": 1, "b": [1, 2]}) == request_fingerprint({"b": [1, 2], "a": 1})
    assert request_fingerprint({"a": 1}) != request_fingerprint({"a": 2})


@pytest.mark.parametrize("key", [None, "", " ", "x" * 256])
def test_key_is_required_and_at_most_255_characters(partner: Partner, key: str | None) -> None:
    with pytest.raises(IdempotencyKeyMissing):
        claim(partner, key)  # type: ignore[arg-type]


def test_first_claim_works_then_same_body_in_flight_is_409(partner: Partner) -> None:
    first = claim(partner, "x" * 255)
    assert not first.replay
    with pytest.raises(IdempotencyInFlight):
        claim(partner, "x" * 255)


def test_done_claim_replays_and_a_different_body_is_422(partner: Partner) -> None:
    first = claim(partner)
    idempotency_complete(claim=first, status=201, body={"number": "O-1"}, location="/o/1")
    again = claim(partner)
    assert again.replay
    assert (again.record.response_status, again.record.response_body) == (201, {"number": "O-1"})
    assert again.work_key == first.work_key
    with pytest.raises(IdempotencyKeyReused):
        claim(partner, body={"a": 2})


def test_keys_are_scoped_per_partner(partner: Partner) -> None:
    other = Partner.objects.create(name="p2")
    claim(partner)
    assert not claim(other).replay


def test_released_or_stale_claim_is_taken_over_with_the_same_work_key(partner: Partner) -> None:
    first = claim(partner)
    idempotency_release(claim=first)
    taken = claim(partner)
    assert not taken.replay and taken.work_key == first.work_key
    with pytest.raises(IdempotencyInFlight):  # the takeover is itself in flight now
        claim(partner)


def test_expired_key_starts_a_new_request(partner: Partner) -> None:
    first = claim(partner)
    idempotency_complete(claim=first, status=201, body={}, location="")
    IdempotencyRecord.objects.filter(pk=first.record.pk).update(created_at=timezone.now() - timedelta(hours=25))
    fresh = claim(partner, body={"a": 99})
    assert not fresh.replay and fresh.work_key != first.work_key


def test_api_rejects_server_owned_fields_and_missing_key_before_any_work() -> None:
    key = api_key_create(partner_name="shop", scopes=["orders"]).raw_key
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    body = {"lines": [{"sku": "A", "quantity": 1, "unit_price": "0.01"}], "total": "0.01", "status": "confirmed"}
    missing = client.post("/api/v1/orders/", body, content_type="application/json")
    assert missing.status_code == 400 and missing.json()["code"] == "idempotency_key_missing"
    response = client.post("/api/v1/orders/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"status", "total", "lines[0].unit_price"} <= set(errors)
    replay = client.post("/api/v1/orders/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    assert replay.status_code == 400 and replay.json() == response.json()


def test_fulfilment_only_key_cannot_create_orders() -> None:
    key = api_key_create(partner_name="3pl", scopes=["fulfilment"]).raw_key
    response = Client(HTTP_AUTHORIZATION=f"Api-Key {key}").post(
        "/api/v1/orders/", {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 403
