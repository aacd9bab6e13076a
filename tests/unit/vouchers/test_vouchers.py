"""Vouchers on the real database: the checks, redemption and its release, the constraints, the admin and the
``create_voucher`` command."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vouchers.errors import VoucherExhausted, VoucherInvalid
from vouchers.models import Voucher, VoucherRedemption
from vouchers.services import (
    voucher_check,
    voucher_create,
    voucher_redeem,
    voucher_release,
    voucher_terms_of_order,
)

pytestmark = pytest.mark.django_db
D = Decimal


def _redeem(number: str, code: str = "SAVE", email: str = "ada@example.com", subtotal: str = "50.00") -> None:
    voucher_redeem(order_number=number, code=code, email=email, subtotal=D(subtotal), currency="EUR")


def test_codes_are_case_insensitive_and_checks_return_the_terms() -> None:
    voucher_create(code="save", kind="percentage", value=D("15"))
    terms = voucher_check(code=" Save ", subtotal=D("10.00"), currency="EUR")
    assert (terms.code, terms.kind, terms.value) == ("SAVE", "percentage", D("15.00"))


@pytest.mark.parametrize(
    "options, subtotal, currency, message",
    [
        ({"min_subtotal": D("20")}, "19.99", "EUR", "needs a subtotal of at least 20.00 EUR"),
        ({"currency": "USD", "kind": "fixed"}, "50", "EUR", "is for orders in USD"),
        ({"ends_at": -1}, "50", "EUR", "has expired"),
        ({"starts_at": 1}, "50", "EUR", "is not valid yet"),
    ],
)
def test_each_refusal_says_why(options: dict, subtotal: str, currency: str, message: str) -> None:
    now = timezone.now()
    voucher_create(
        code="SAVE",
        kind=options.get("kind", "percentage"),
        value=D("5"),
        currency=options.get("currency", ""),
        min_subtotal=options.get("min_subtotal"),
        starts_at=now + timedelta(days=options["starts_at"]) if "starts_at" in options else None,
        ends_at=now + timedelta(days=options["ends_at"]) if "ends_at" in options else None,
    )
    with pytest.raises(VoucherInvalid, match=message):
        voucher_check(code="SAVE", subtotal=D(subtotal), currency=currency)
    with pytest.raises(VoucherInvalid, match=message):  # checked again, under the lock, when redeemed
        voucher_redeem(order_number="O-1", code="SAVE", email="a@b.c", subtotal=D(subtotal), currency=currency)


def test_usage_limit_and_redeem_once_per_order() -> None:
    voucher_create(code="SAVE", kind="percentage", value=D("10"), usage_limit=2)
    _redeem("O-1")
    _redeem("O-1")  # a retried step: no second use
    _redeem("O-2", email="bob@example.com")
    assert Voucher.objects.get().used_count == 2
    with pytest.raises(VoucherExhausted):
        _redeem("O-3", email="cy@example.com")
    with pytest.raises(VoucherExhausted):
        voucher_check(code="SAVE", subtotal=D("50"), currency="EUR")
    assert voucher_release(order_number="O-1") is True
    assert voucher_release(order_number="O-1") is False  # a retried compensation gives back nothing more
    assert Voucher.objects.get().used_count == 1
    _redeem("O-3", email="cy@example.com")
    assert Voucher.objects.get().used_count == 2


def test_an_edit_reprices_with_the_redeemed_terms_even_after_the_voucher_expired() -> None:
    voucher_create(code="EDIT", kind="percentage", value=D("20"))
    _redeem("O-1", code="EDIT")
    Voucher.objects.filter(code="EDIT").update(is_active=False)
    terms = voucher_terms_of_order(order_number="O-1")
    assert terms is not None and (terms.code, terms.value) == ("EDIT", D("20.00"))
    voucher_release(order_number="O-1")
    assert voucher_terms_of_order(order_number="O-1") is None


def test_once_per_customer_by_email_case_insensitively() -> None:
    voucher_create(code="ONCE", kind="fixed", value=D("5"), currency="EUR", once_per_customer=True)
    _redeem("O-1", code="ONCE", email="Ada@Example.com")
    with pytest.raises(VoucherExhausted, match="already been used with"):
        voucher_check(code="ONCE", subtotal=D("50"), currency="EUR", email="ada@example.com")
    with pytest.raises(VoucherExhausted):
        _redeem("O-2", code="ONCE", email="ada@example.com")
    voucher_release(order_number="O-1")
    _redeem("O-2", code="ONCE", email="ada@example.com")  # the first order was cancelled: the use came back


def test_the_database_refuses_more_uses_than_the_limit() -> None:
    voucher = voucher_create(code="CAP", kind="percentage", value=D("10"), usage_limit=1)
    Voucher.objects.filter(pk=voucher.pk).update(used_count=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Voucher.objects.filter(pk=voucher.pk).update(used_count=2)


def test_the_database_refuses_a_second_live_use_per_customer() -> None:
    voucher = voucher_create(code="ONE", kind="percentage", value=D("10"), once_per_customer=True)
    now = timezone.now()
    VoucherRedemption.objects.create(
        voucher=voucher, order_number="O-1", email="a@b.c", once_key="a@b.c", redeemed_at=now
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        VoucherRedemption.objects.create(
            voucher=voucher, order_number="O-2", email="a@b.c", once_key="a@b.c", redeemed_at=now
        )


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"code": "BAD CODE", "kind": "percentage", "value": D("5")}, "code"),
        ({"code": "P", "kind": "percentage", "value": D("101")}, "value"),
        ({"code": "F", "kind": "fixed", "value": D("5")}, "currency"),
    ],
)
def test_definitions_are_checked(kwargs: dict, field: str) -> None:
    with pytest.raises(VoucherInvalid) as refused:
        voucher_create(**kwargs)
    assert refused.value.field == field


def test_create_voucher_command_prints_the_code(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("create_voucher", "spring-10", "--percent", "10", "--usage-limit", "100", "--once-per-customer")
    assert capsys.readouterr().out.strip() == "SPRING-10"
    call_command("create_voucher", "FIVE", "--amount", "5", "--currency", "eur", "--min-subtotal", "20")
    five = Voucher.objects.get(code="FIVE")
    assert (five.kind, five.value, five.currency, five.min_subtotal) == ("fixed", D("5.00"), "EUR", D("20.00"))
    with pytest.raises(CommandError, match="needs a currency"):
        call_command("create_voucher", "NOCUR", "--amount", "5")
    with pytest.raises(CommandError, match="exists already"):
        call_command("create_voucher", "five", "--percent", "5")


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw-unused-here"))
    return client


def test_admin_lists_usage_searches_filters_and_deactivates(staff: Client) -> None:
    used = voucher_create(code="USED", kind="percentage", value=D("10"), usage_limit=10)
    voucher_create(code="OTHER", kind="percentage", value=D("10"))
    _redeem("O-1", code="USED")
    listing = staff.get(reverse("admin:vouchers_voucher_changelist"), {"q": "used"})
    assert listing.status_code == 200
    assert b"1 / 10" in listing.content and b"OTHER" not in listing.content
    response = staff.post(
        reverse("admin:vouchers_voucher_changelist"),
        {"action": "deactivate", "_selected_action": [str(used.pk)]},
    )
    assert response.status_code == 302
    assert not Voucher.objects.get(pk=used.pk).is_active
    inactive = staff.get(reverse("admin:vouchers_voucher_changelist"), {"is_active__exact": "0"})
    assert b"USED" in inactive.content and b"OTHER" not in inactive.content


INLINE_MANAGEMENT = {"redemptions-TOTAL_FORMS": "0", "redemptions-INITIAL_FORMS": "0"}


def test_admin_form_refuses_a_bad_definition_on_the_form(staff: Client) -> None:
    response = staff.post(
        reverse("admin:vouchers_voucher_add"), {"code": "pct", "kind": "percentage", "value": "150", "is_active": "on"}
    )
    assert response.status_code == 200 and b"A percentage is from 1 to 100." in response.content
    created = staff.post(
        reverse("admin:vouchers_voucher_add"),
        {"code": "pct", "kind": "percentage", "value": "15", "is_active": "on", **INLINE_MANAGEMENT},
    )
    assert created.status_code == 302, created.context["adminform"].form.errors if created.context else created
    assert Voucher.objects.get().code == "PCT"
