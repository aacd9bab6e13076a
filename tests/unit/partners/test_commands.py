from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from oms_project.errors import InvalidInput
from partners.models import ApiKey, Partner
from partners.services import api_key_authenticate, api_key_create, api_key_create_with_secret, hash_key

pytestmark = pytest.mark.django_db

KEY_RE = re.compile(r"oms_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}")


def create(*args: str) -> str:
    out = StringIO()
    call_command("create_api_key", *args, stdout=out)
    return out.getvalue()


def test_create_api_key_prints_the_key_once_and_stores_its_hash() -> None:
    output = create("--partner", "Acme Shop", "--scopes", "orders,fulfilment", "--name", "erp")
    keys = set(KEY_RE.findall(output))
    assert len(keys) == 1
    raw = keys.pop()
    api_key = ApiKey.objects.select_related("partner").get()
    assert api_key.partner.name == "Acme Shop" and api_key.name == "erp"
    assert api_key.scopes == ["fulfilment", "orders"] and api_key.expires_at is None
    assert api_key.key_hash == hash_key(raw) and api_key_authenticate(raw) == api_key
    assert f"prefix:  {api_key.prefix}" in output and "expires: never" in output


def test_create_api_key_with_expiry_for_an_existing_partner() -> None:
    Partner.objects.create(name="Acme Shop")
    create("--partner", "Acme Shop", "--scopes", "orders", "--expires-in-days", "30")
    api_key = ApiKey.objects.get()
    assert Partner.objects.count() == 1
    assert timedelta(days=29, hours=23) < api_key.expires_at - timezone.now() <= timedelta(days=30)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scopes", "admin"], "unknown: admin"),
        (["--scopes", "orders,shipping"], "unknown: shipping"),
        (["--scopes", ","], "Scopes must be one or more of fulfilment, orders"),
        (["--scopes", "orders", "--expires-in-days", "soon"], "whole number of days"),
        (["--scopes", "orders", "--expires-in-days", "0"], "at least 1"),
        (["--scopes", "orders", "--expires-in-days", "-5"], "at least 1"),
        (["--scopes", "orders", "--partner", "  "], "partner name is required"),
    ],
)
def test_create_api_key_rejects_bad_options(args: list[str], message: str) -> None:
    full = ["--partner", "Acme", *args] if "--partner" not in args else args
    with pytest.raises(CommandError, match=message):
        create(*full)
    assert not ApiKey.objects.exists()


def test_revoke_by_prefix_or_whole_key() -> None:
    first = api_key_create(partner_name="Acme", scopes=["orders"])
    second = api_key_create(partner_name="Acme", scopes=["orders"])
    out = StringIO()
    call_command("revoke_api_key", first.api_key.prefix, stdout=out)
    call_command("revoke_api_key", second.raw_key, stdout=out)
    assert api_key_authenticate(first.raw_key) is None and api_key_authenticate(second.raw_key) is None
    revoked_at = ApiKey.objects.get(pk=first.api_key.pk).revoked_at
    call_command("revoke_api_key", first.api_key.prefix, stdout=out)
    assert "already revoked" in out.getvalue()
    assert ApiKey.objects.get(pk=first.api_key.pk).revoked_at == revoked_at


def test_revoke_unknown_prefix() -> None:
    with pytest.raises(CommandError, match="No API key with prefix"):
        call_command("revoke_api_key", "deadbeef0000")


def test_key_with_chosen_secret_is_idempotent_and_hashed() -> None:
    raw = "oms_0123456789ab_chosen-secret-value"
    api_key, created = api_key_create_with_secret(partner_name="Demo", scopes=["orders"], raw_key=raw)
    again, created_again = api_key_create_with_secret(partner_name="Demo", scopes=["orders"], raw_key=raw)
    assert (created, created_again) == (True, False) and again.pk == api_key.pk
    assert api_key.key_hash == hash_key(raw) and api_key_authenticate(raw) == api_key
    with pytest.raises(InvalidInput, match="Another key already uses this prefix"):
        api_key_create_with_secret(partner_name="Demo", scopes=["orders"], raw_key=raw + "x")


@pytest.mark.parametrize(
    "raw", ["oms_0123456789ab_short", "oms_0123456789AB_chosen-secret-value", "key_0123456789ab_chosen-secret-value"]
)
def test_key_with_chosen_secret_must_have_the_key_format(raw: str) -> None:
    with pytest.raises(InvalidInput, match="must look like"):
        api_key_create_with_secret(partner_name="Demo", scopes=["orders"], raw_key=raw)
