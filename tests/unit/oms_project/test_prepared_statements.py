"""Prepared statements (issue #19, oms_project/settings.py ``DATABASE_PREPARED_STATEMENTS``): a query the
connection runs again is executed from a statement PostgreSQL parsed and planned once, with its parameters sent
apart from the text, and its answers are those of the plain query."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection

from catalog.models import Product, Variant

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def prepared_statements_of_this_connection() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_the_default_settings_bind_parameters_on_the_server_and_prepare_repeated_queries() -> None:
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["server_side_binding"] is True and options["prepare_threshold"] == 2


def test_a_repeated_query_runs_prepared_with_its_own_parameters_each_time() -> None:
    product = Product.objects.create(name="Prepared", slug="prepared")
    Variant.objects.create(product=product, sku="PREP-1", name="one", price=Decimal("1.50"), currency="EUR")
    Variant.objects.create(product=product, sku="PREP-2", name="two", price=Decimal("2.25"), currency="EUR")

    prices = [Variant.objects.filter(sku=sku).values_list("price", flat=True).get() for sku in ("PREP-1", "PREP-2")]
    prices.append(Variant.objects.filter(sku="PREP-1").values_list("price", flat=True).get())

    assert prices == [Decimal("1.50"), Decimal("2.25"), Decimal("1.50")]
    prepared = [text for text in prepared_statements_of_this_connection() if "catalog_variant" in text]
    assert prepared, "the query run three times was not prepared"
    assert all("$1" in text and "PREP-" not in text for text in prepared), prepared
