"""The webhook registration API: validation, the secret shown once, scopes, pagination, the schema."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from partners.services import api_key_create
from tests.temporal_env import settings_override

pytestmark = pytest.mark.django_db


def client_for(*scopes: str) -> Client:
    issued = api_key_create(partner_name=f"p-{uuid.uuid4().hex[:8]}", scopes=list(scopes))
    return Client(HTTP_AUTHORIZATION=f"Api-Key {issued.raw_key}")


def post(client: Client, body: dict):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/webhooks/", body, content_type="application/json")


def test_secret_is_returned_once_and_never_listed() -> None:
    client = client_for("orders")
    with settings_override(WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
        created = post(client, {"url": "http://127.0.0.1:9/h", "events": ["order.created", "order.delivered"]})
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 30
    assert body["events"] == ["order.created", "order.delivered"] and body["is_active"] is True
    listed = client.get("/api/v1/webhooks/").json()
    assert set(listed) == {"results", "next", "previous"}
    assert [w["id"] for w in listed["results"]] == [body["id"]]
    assert "secret" not in listed["results"][0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://93.184.215.14/h", "events": ["order.exploded"]}, "events"),
        ({"url": "https://93.184.215.14/h", "events": []}, "events"),
        ({"url": "https://93.184.215.14/h"}, "events"),
        ({"url": "ftp://93.184.215.14/h", "events": ["order.created"]}, "url"),
        ({"events": ["order.created"]}, "url"),
        ({"url": "http://127.0.0.1/h", "events": ["order.created"]}, "url"),
        ({"url": "http://169.254.169.254/", "events": ["order.created"]}, "url"),
        ({"url": "http://[::1]/", "events": ["order.created"]}, "url"),
    ],
)
def test_bad_registration_is_a_400_naming_the_field(body: dict, field: str) -> None:
    with settings_override(WEBHOOK_ALLOW_PRIVATE_TARGETS=False):
        response = post(client_for("orders"), body)
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["field"].split(".")[0] == field  # e.g. "events.0" names the bad item
    assert set(error) >= {"code", "message", "field", "errors"}


def test_private_target_refusal_has_its_own_code() -> None:
    with settings_override(WEBHOOK_ALLOW_PRIVATE_TARGETS=False):
        response = post(client_for("orders"), {"url": "http://localhost:8000/", "events": ["order.created"]})
    assert response.status_code == 400
    assert response.json()["code"] == "webhook_target_not_allowed"


def test_scopes_and_authentication() -> None:
    assert Client().get("/api/v1/webhooks/").status_code == 401
    assert client_for("fulfilment").get("/api/v1/webhooks/").status_code == 403
    assert client_for("orders", "fulfilment").get("/api/v1/webhooks/").status_code == 200


def test_list_is_cursor_paginated() -> None:
    client = client_for("orders")
    with settings_override(WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
        ids = [
            post(client, {"url": f"http://127.0.0.1:9/{n}", "events": ["order.created"]}).json()["id"] for n in range(3)
        ]
    first = client.get("/api/v1/webhooks/?page_size=2").json()
    assert [w["id"] for w in first["results"]] == ids[::-1][:2] and first["next"]
    second = client.get(first["next"]).json()
    assert [w["id"] for w in second["results"]] == ids[:1] and second["next"] is None


def test_schema_describes_the_webhook_endpoints() -> None:
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert set(paths["/api/v1/webhooks/"]) >= {"get", "post"}
    assert "delete" in paths["/api/v1/webhooks/{endpoint_id}/"]
    assert "get" in paths["/api/v1/webhooks/{endpoint_id}/deliveries/"]
    created = paths["/api/v1/webhooks/"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert created["$ref"].endswith("/WebhookEndpointCreated")
    listed = paths["/api/v1/webhooks/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed["$ref"].endswith("/PaginatedWebhookEndpointList")
    assert "secret" in schema["components"]["schemas"]["WebhookEndpointCreated"]["required"]
    assert "secret" not in schema["components"]["schemas"]["WebhookEndpoint"]["properties"]


def test_admin_never_shows_the_secret() -> None:
    from django.contrib.auth.models import User

    with settings_override(WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
        created = post(client_for("orders"), {"url": "http://127.0.0.1:9/h", "events": ["order.created"]}).json()
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "r@example.com", "pw"))
    for page in ("/admin/webhooks/webhookendpoint/", f"/admin/webhooks/webhookendpoint/{created['id']}/change/"):
        response = admin.get(page)
        assert response.status_code == 200
        assert created["secret"].encode() not in response.content
        assert b"127.0.0.1:9/h" in response.content


def test_metrics_count_deliveries_by_status() -> None:
    from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

    with settings_override(WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
        created = post(client_for("orders"), {"url": "http://127.0.0.1:9/h", "events": ["order.created"]}).json()
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    for n in range(2):
        event = WebhookEvent.objects.create(
            partner=endpoint.partner,
            type="order.created",
            dedupe_key=f"m{n}",
            body="{}",
            created_at="2026-01-01T00:00Z",
        )
        WebhookDelivery.objects.create(event=event, endpoint=endpoint, status="failed")
    text = Client().get("/metrics").content.decode()
    assert 'oms_webhook_deliveries{status="failed"} 2.0' in text
    assert 'oms_webhook_deliveries{status="succeeded"} 0.0' in text


def test_publish_refuses_bad_input_without_touching_temporal() -> None:
    from oms_project.errors import InvalidInput, NotFound
    from webhooks.models import WebhookEvent
    from webhooks.services import webhook_event_publish

    with pytest.raises(InvalidInput):
        webhook_event_publish(partner_id=1, event_type="order.exploded", data={}, dedupe_key="k")
    with pytest.raises(InvalidInput):
        webhook_event_publish(partner_id=1, event_type="order.created", data={}, dedupe_key="")
    with pytest.raises(NotFound):
        webhook_event_publish(partner_id=987654, event_type="order.created", data={}, dedupe_key="k")
    assert webhook_event_publish(partner_id=None, event_type="order.created", data={}, dedupe_key="k") == []
    assert not WebhookEvent.objects.exists()


def test_endpoints_per_partner_are_capped_and_deleted_ones_free_a_place() -> None:
    client, other = client_for("orders"), client_for("orders")
    body = {"url": "http://127.0.0.1:9/h", "events": ["order.created"]}
    with settings_override(WEBHOOK_ALLOW_PRIVATE_TARGETS=True, WEBHOOK_MAX_ENDPOINTS_PER_PARTNER=3):
        created = [post(client, body) for _ in range(3)]
        assert [r.status_code for r in created] == [201, 201, 201]
        refused = post(client, body)
        assert refused.status_code == 409
        error = refused.json()
        assert error["code"] == "webhook_endpoint_limit" and "at most 3 webhook endpoints" in error["message"]
        assert post(other, body).status_code == 201  # the cap is per partner
        assert client.delete(f"/api/v1/webhooks/{created[0].json()['id']}/").status_code == 204
        assert post(client, body).status_code == 201
        assert post(client, body).status_code == 409
    assert len(client.get("/api/v1/webhooks/").json()["results"]) == 3
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "webhook_endpoint_limit" in schema["paths"]["/api/v1/webhooks/"]["post"]["responses"]["409"]["description"]
