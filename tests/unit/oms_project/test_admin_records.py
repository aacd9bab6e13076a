"""Records of what happened are read-only in the admin for everyone, superusers included (issue #20 item 6).

The list of models comes from the admin registry, so a newly registered model is checked without being named here;
only the models in EDITABLE (and AccessAttempt, which staff delete to unlock an account) may be written by hand.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders.models import IdempotencyRecord, SandboxDelivery
from partners.models import Partner

pytestmark = pytest.mark.django_db

# Configuration staff maintain; each is checked by its own admin tests.
EDITABLE = {
    "auth.group",
    "auth.user",
    "catalog.product",
    "catalog.variant",
    "catalog.warehouse",
    "catalog.stocklevel",  # the form has no editable field: levels change through the adjust action (the ledger)
    "customers.customer",
    "orders.order",  # the form has no editable field: orders change through the staff actions
    "returns.return",  # the form has no editable field: returns change through the staff actions (their workflow)
    "partners.partner",
    "partners.apikey",
    "webhooks.webhookendpoint",  # staff (de)activate an endpoint; URL and events change through the API
    "vouchers.voucher",  # staff define vouchers; used_count is read-only (tests/unit/vouchers)
}
DELETE_ONLY = {"axes.accessattempt"}  # deleting an account's failed sign-ins unlocks it


def _records() -> Iterator[type[Model]]:
    for model in admin.site._registry:
        if model._meta.label_lower not in EDITABLE:
            yield model


@pytest.fixture
def superuser() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw-unused-here"))
    return client


def test_the_registry_is_covered() -> None:
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered >= EDITABLE, "a model in EDITABLE is no longer registered: remove it from the list"
    assert {"oms_project.idempotencyrecord", "orders.sandboxdelivery", "webhooks.webhookdelivery"} <= {
        model._meta.label_lower for model in _records()
    }


@pytest.mark.parametrize("model", sorted(_records(), key=lambda m: m._meta.label), ids=lambda m: m._meta.label)
def test_a_superuser_cannot_write_a_record(superuser: Client, model: type[Model]) -> None:
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    assert superuser.post(reverse(f"{prefix}_add"), {}).status_code == 403
    # An id that matches no row: the permission is decided before the lookup, so no row has to be built per model.
    assert superuser.post(reverse(f"{prefix}_change", args=["0"]), {}).status_code == 403
    deleted = superuser.post(reverse(f"{prefix}_delete", args=["0"]), {"post": "yes"}).status_code
    assert deleted == (302 if model._meta.label_lower in DELETE_ONLY else 403)
    listing = superuser.get(reverse(f"{prefix}_changelist"))
    assert listing.status_code == 200
    assert b'value="delete_selected"' not in listing.content or model._meta.label_lower in DELETE_ONLY


def test_a_stored_api_answer_cannot_be_forged(superuser: Client) -> None:
    partner = Partner.objects.create(name="Acme")
    now = timezone.now()
    record = IdempotencyRecord.objects.create(
        partner=partner,
        key="k-1",
        scope="orders.create",
        request_hash="0" * 64,
        state=IdempotencyRecord.State.DONE,
        response_status=201,
        response_body={"number": "O-REAL"},
        created_at=now,
        claimed_at=now,
    )
    url = reverse("admin:oms_project_idempotencyrecord_change", args=[record.pk])
    assert superuser.get(url).status_code == 200  # readable
    forged = {
        "partner": partner.pk,
        "key": "k-1",
        "scope": "orders.create",
        "request_hash": "0" * 64,
        "state": "done",
        "response_status": "201",
        "response_body": '{"number": "O-FORGED"}',
        "created_at_0": "2026-01-01",
        "created_at_1": "00:00:00",
        "claimed_at_0": "2026-01-01",
        "claimed_at_1": "00:00:00",
    }
    assert superuser.post(url, forged).status_code == 403
    record.refresh_from_db()
    assert record.response_body == {"number": "O-REAL"}
    delivery = SandboxDelivery.objects.create(order_number="O-REAL", reference="SBX-1", priority="normal")
    assert (
        superuser.post(reverse("admin:orders_sandboxdelivery_delete", args=[delivery.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert SandboxDelivery.objects.filter(pk=delivery.pk).exists()
