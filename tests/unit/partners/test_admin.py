from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from partners.models import ApiKey, Partner
from partners.services import api_key_authenticate, api_key_create, hash_key

pytestmark = pytest.mark.django_db

KEY_RE = re.compile(r"oms_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}")


def test_partner_and_key_pages_render(admin_client: Client) -> None:
    issued = api_key_create(partner_name="Acme", scopes=["orders"], name="erp")
    partner = issued.api_key.partner
    for url in [
        reverse("admin:partners_partner_changelist"),
        reverse("admin:partners_partner_add"),
        reverse("admin:partners_partner_change", args=[partner.pk]),
        reverse("admin:partners_apikey_changelist"),
        reverse("admin:partners_apikey_add"),
        reverse("admin:partners_apikey_change", args=[issued.api_key.pk]),
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert issued.raw_key not in response.content.decode()
    inline = admin_client.get(reverse("admin:partners_partner_change", args=[partner.pk])).content.decode()
    assert issued.api_key.prefix in inline
    assert admin_client.get(reverse("admin:partners_apikey_changelist"), {"q": "acme"}).status_code == 200


def test_adding_a_key_shows_it_once_and_stores_only_the_hash(admin_client: Client) -> None:
    partner = Partner.objects.create(name="Acme")
    response = admin_client.post(
        reverse("admin:partners_apikey_add"),
        {"partner": partner.pk, "name": "warehouse", "scopes": ["orders", "fulfilment"], "expires_in_days": "90"},
        follow=True,
    )
    assert response.status_code == 200
    keys = set(KEY_RE.findall(response.content.decode()))
    assert len(keys) == 1
    raw = keys.pop()
    api_key = ApiKey.objects.get()
    assert api_key.key_hash == hash_key(raw) and api_key.name == "warehouse" and api_key.expires_at is not None
    assert sorted(api_key.scopes) == ["fulfilment", "orders"]
    assert api_key_authenticate(raw) == api_key
    assert all(raw.split("_", 2)[2] not in str(v) for v in ApiKey.objects.values().get().values())
    # Shown once: the next pages no longer carry it.
    for url in [
        reverse("admin:partners_apikey_changelist"),
        reverse("admin:partners_apikey_change", args=[api_key.pk]),
    ]:
        assert raw not in admin_client.get(url).content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [({"scopes": []}, "This field is required"), ({"scopes": ["orders"], "expires_in_days": "0"}, "greater than")],
)
def test_add_form_validates(admin_client: Client, data: dict[str, Any], error: str) -> None:
    partner = Partner.objects.create(name="Acme")
    response = admin_client.post(reverse("admin:partners_apikey_add"), {"partner": partner.pk, **data})
    assert response.status_code == 200 and error in response.content.decode()
    assert not ApiKey.objects.exists()


def test_key_fields_cannot_be_changed_but_the_label_can(admin_client: Client) -> None:
    issued = api_key_create(partner_name="Acme", scopes=["orders"])
    url = reverse("admin:partners_apikey_change", args=[issued.api_key.pk])
    admin_client.post(url, {"name": "renamed", "scopes": '["orders", "fulfilment"]', "prefix": "x"})
    api_key = ApiKey.objects.get()
    assert api_key.name == "renamed" and api_key.scopes == ["orders"] and api_key.prefix == issued.api_key.prefix


def test_revoke_action(admin_client: Client) -> None:
    first = api_key_create(partner_name="Acme", scopes=["orders"])
    second = api_key_create(partner_name="Acme", scopes=["orders"])
    response = admin_client.post(
        reverse("admin:partners_apikey_changelist"),
        {"action": "revoke_keys", "_selected_action": [first.api_key.pk]},
        follow=True,
    )
    assert "Revoked 1 API key(s)" in response.content.decode()
    assert api_key_authenticate(first.raw_key) is None
    assert api_key_authenticate(second.raw_key) is not None


def test_keys_cannot_be_deleted(admin_client: Client) -> None:
    issued = api_key_create(partner_name="Acme", scopes=["orders"])
    assert admin_client.get(reverse("admin:partners_apikey_delete", args=[issued.api_key.pk])).status_code == 403
