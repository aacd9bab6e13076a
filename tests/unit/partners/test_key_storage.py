"""API keys are never stored in clear: after a key is issued through the management command or the admin, no
table of the database holds the key or its secret part, only its SHA-256 and the public prefix."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from partners.models import ApiKey, Partner
from partners.services import hash_key

pytestmark = pytest.mark.django_db

KEY_RE = re.compile(r"oms_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}")


def database_as_text() -> dict[str, str]:
    """Every table of the database (Django's and the apps'), its rows as text."""
    tables = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # table names come from introspection
            tables[table] = "\n".join(" ".join(map(str, row)) for row in cursor.fetchall())
    return tables


def assert_stored_as_hash_only(raw_key: str, database: dict[str, str]) -> None:
    prefix, secret = raw_key.split("_", 2)[1:]
    stored = ApiKey.objects.get(prefix=prefix)
    assert stored.key_hash == hash_key(raw_key) and len(stored.key_hash) == 64

    def tables_containing(value: str) -> list[str]:
        return [table for table, text in database.items() if value in text]

    # The scan does see the key table (its hash and prefix are found), and finds neither the key nor its secret.
    assert tables_containing(stored.key_hash) == [ApiKey._meta.db_table]
    assert ApiKey._meta.db_table in tables_containing(prefix)
    assert tables_containing(raw_key) == []
    # Nor any 12-character piece of the secret (a truncated or sliced copy would still weaken the key).
    pieces = {secret[start : start + 12] for start in range(len(secret) - 11)}
    assert [piece for piece in pieces if tables_containing(piece)] == []


def test_key_issued_by_the_command_is_stored_as_its_hash_only() -> None:
    out = StringIO()
    call_command("create_api_key", "--partner", "Acme Shop", "--scopes", "orders", stdout=out)
    [raw_key] = set(KEY_RE.findall(out.getvalue()))
    assert_stored_as_hash_only(raw_key, database_as_text())


def test_key_issued_in_the_admin_is_stored_as_its_hash_only(admin_client: Client) -> None:
    partner = Partner.objects.create(name="Acme")
    response = admin_client.post(
        reverse("admin:partners_apikey_add"), {"partner": partner.pk, "name": "erp", "scopes": ["orders"]}
    )
    assert response.status_code == 302
    # While the one-time message with the key waits for the next page, and after that page showed it.
    while_pending = database_as_text()
    [raw_key] = set(KEY_RE.findall(admin_client.get(response["Location"]).content.decode()))
    assert_stored_as_hash_only(raw_key, while_pending)
    assert_stored_as_hash_only(raw_key, database_as_text())
