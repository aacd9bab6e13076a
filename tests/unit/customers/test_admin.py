from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from customers.models import Address, Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(django_user_model: Any) -> Customer:
    user = django_user_model.objects.create_user(
        "dana", email="dana@example.com", password="pw", first_name="Dana", last_name="Demo"
    )
    customer = Customer.objects.create(user=user, phone="+49 30 1")
    Address.objects.create(
        customer=customer, name="Dana Demo", line1="Main St 1", city="Berlin", postal_code="10115", country="DE"
    )
    return customer


def test_customer_changelist_and_search(admin_client: Client, customer: Customer, django_user_model: Any) -> None:
    other = django_user_model.objects.create_user("zed", email="zed@example.com")
    Customer.objects.create(user=other)
    url = reverse("admin:customers_customer_changelist")
    assert admin_client.get(url).status_code == 200
    for term in ["dana@example.com", "Demo", "dana"]:
        found = admin_client.get(url, {"q": term}).context["cl"].result_list
        assert list(found) == [customer], term


def test_customer_change_form_shows_addresses(admin_client: Client, customer: Customer) -> None:
    response = admin_client.get(reverse("admin:customers_customer_change", args=[customer.pk]))
    assert response.status_code == 200 and "Main St 1" in response.content.decode()
    assert admin_client.get(reverse("admin:customers_customer_add")).status_code == 200


def test_changelist_queries_do_not_grow(
    admin_client: Client, django_user_model: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(15):
        Customer.objects.create(user=django_user_model.objects.create_user(f"u{i}", email=f"u{i}@example.com"))
    with django_assert_max_num_queries(10):
        assert admin_client.get(reverse("admin:customers_customer_changelist")).status_code == 200
