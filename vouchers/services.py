"""Voucher rules that need the database: is a code applicable to this subtotal now, redeem a use for an order
(the order's saga step) and give it back (its compensation). docs/pricing.md states every rule.

Redemption is enforced like stock (catalog/stock.py): the voucher row is locked, the rules are checked with the
lock held, and ``used_count`` moves in the same transaction as the redemption row; a CHECK constraint keeps it
within ``usage_limit`` and a partial unique index keeps once-per-customer vouchers to one live use per e-mail.
Both steps are idempotent by order number: a retried redeem never redeems twice, a retried release never gives
back twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from oms_project.money import format_amount, is_supported_currency, quantize
from orders.domain import VoucherKind, VoucherTerms
from vouchers.errors import VoucherExhausted, VoucherInvalid
from vouchers.models import Voucher, VoucherRedemption

log = logging.getLogger(__name__)

MAX_CODE_LENGTH = 40


def voucher_code_normalize(code: str) -> str:
    """Codes are case-insensitive and ignore surrounding blanks."""
    return (code or "").strip().upper()


def voucher_terms(voucher: Voucher) -> VoucherTerms:
    return VoucherTerms(code=voucher.code, kind=voucher.kind, value=voucher.value)


def _refusal(voucher: Voucher | None, *, code: str, subtotal: Decimal, currency: str, now: datetime) -> str | None:
    """Why the code cannot discount this subtotal now (``voucher_invalid``), or None."""
    if voucher is None:
        return f"The voucher code {code!r} does not exist."
    if not voucher.is_active:
        return f"The voucher {voucher.code} is no longer active."
    if voucher.starts_at is not None and now < voucher.starts_at:
        return f"The voucher {voucher.code} is not valid yet (from {voucher.starts_at:%Y-%m-%d %H:%M %Z})."
    if voucher.ends_at is not None and now >= voucher.ends_at:
        return f"The voucher {voucher.code} has expired."
    if voucher.currency and voucher.currency != currency:
        return f"The voucher {voucher.code} is for orders in {voucher.currency}."
    if voucher.min_subtotal is not None and subtotal < voucher.min_subtotal:
        minimum = format_amount(voucher.min_subtotal, currency)
        return f"The voucher {voucher.code} needs a subtotal of at least {minimum} {currency}."
    return None


def _exhaustion(voucher: Voucher, *, email: str) -> str | None:
    """Why no use is left for this customer (``voucher_exhausted``), or None."""
    if voucher.usage_limit is not None and voucher.used_count >= voucher.usage_limit:
        return f"The voucher {voucher.code} has been used up."
    if voucher.once_per_customer and email:
        used = VoucherRedemption.objects.filter(voucher=voucher, once_key=email.lower(), released_at__isnull=True)
        if used.exists():
            return f"The voucher {voucher.code} has already been used with {email}."
    return None


def voucher_check(*, code: str, subtotal: Decimal, currency: str, email: str = "") -> VoucherTerms:
    """The terms of ``code`` if it can discount ``subtotal`` now (a quote for a cart, the checkout page, an order
    being placed); VoucherInvalid or VoucherExhausted saying why not. Nothing is reserved: the order's saga step
    ``voucher_redeem`` decides under the lock."""
    normalized = voucher_code_normalize(code)
    voucher = Voucher.objects.filter(code=normalized).first() if len(normalized) <= MAX_CODE_LENGTH else None
    refusal = _refusal(voucher, code=normalized, subtotal=subtotal, currency=currency, now=timezone.now())
    if refusal:
        raise VoucherInvalid(refusal, field="voucher_code", details={"code": normalized})
    assert voucher is not None
    exhausted = _exhaustion(voucher, email=email)
    if exhausted:
        raise VoucherExhausted(exhausted, field="voucher_code", details={"code": normalized})
    return voucher_terms(voucher)


def voucher_redeem(*, order_number: str, code: str, email: str, subtotal: Decimal, currency: str) -> None:
    """Take one use of ``code`` for the order, under the voucher's row lock; at most once per order (a retried or
    replayed step finds its redemption and changes nothing). Refuses with VoucherInvalid (expired meanwhile, ...)
    or VoucherExhausted (the last use went to another order), which fail the order."""
    normalized = voucher_code_normalize(code)
    with transaction.atomic():
        if VoucherRedemption.objects.filter(order_number=order_number).exists():
            return
        voucher = Voucher.objects.select_for_update().filter(code=normalized).first()
        refusal = _refusal(voucher, code=normalized, subtotal=subtotal, currency=currency, now=timezone.now())
        if refusal:
            raise VoucherInvalid(refusal, field="voucher_code", details={"code": normalized})
        assert voucher is not None
        exhausted = _exhaustion(voucher, email=email)
        if exhausted:
            raise VoucherExhausted(exhausted, field="voucher_code", details={"code": normalized})
        VoucherRedemption.objects.create(
            voucher=voucher,
            order_number=order_number,
            email=email,
            once_key=email.lower() if voucher.once_per_customer else "",
            redeemed_at=timezone.now(),
        )
        Voucher.objects.filter(pk=voucher.pk).update(used_count=F("used_count") + 1)
    log.info("voucher %s redeemed for order %s", normalized, order_number)


def voucher_release(*, order_number: str) -> bool:
    """Give the order's use back (its order failed or was cancelled), exactly once; True when a use came back.
    Locks the voucher first, then the redemption: the same order as ``voucher_redeem``, so the two never
    deadlock."""
    voucher_id = (
        VoucherRedemption.objects.filter(order_number=order_number).values_list("voucher_id", flat=True).first()
    )
    if voucher_id is None:
        return False  # never redeemed (the step failed before, or the order had no voucher)
    with transaction.atomic():
        Voucher.objects.select_for_update().filter(pk=voucher_id).exists()
        redemption = (
            VoucherRedemption.objects.select_for_update()
            .filter(order_number=order_number, released_at__isnull=True)
            .first()
        )
        if redemption is None:
            return False  # given back before: a retried compensation
        redemption.released_at = timezone.now()
        redemption.save(update_fields=["released_at"])
        Voucher.objects.filter(pk=voucher_id).update(used_count=F("used_count") - 1)
    log.info("voucher use of order %s given back", order_number)
    return True


def voucher_definition_problem(
    *, code: str, kind: str, value: Decimal | None, currency: str, starts_at: datetime | None, ends_at: datetime | None
) -> tuple[str, str] | None:
    """(field, what is wrong) with a voucher's definition, or None: the rules of ``create_voucher`` and the admin
    form (the database's CHECK constraints are the backstop)."""
    normalized = voucher_code_normalize(code)
    if not normalized or len(normalized) > MAX_CODE_LENGTH or not normalized.replace("-", "").isalnum():
        return "code", "A code is 1-40 letters, digits or dashes."
    if kind not in VoucherKind.__members__.values():
        return "kind", "A voucher is percentage or fixed."
    if value is None or value <= 0:
        return "value", "The value must be positive."
    if kind == VoucherKind.PERCENTAGE and not Decimal(1) <= value <= Decimal(100):
        return "value", "A percentage is from 1 to 100."
    if kind == VoucherKind.FIXED and not currency:
        return "currency", "A fixed voucher needs a currency."
    if currency and not is_supported_currency(currency):
        return "currency", f"Unsupported currency {currency!r}."
    if starts_at and ends_at and ends_at <= starts_at:
        return "ends_at", "A voucher must end after it starts."
    return None


def voucher_terms_of_order(*, order_number: str, subtotal: Decimal | None = None) -> VoucherTerms | None:
    """The terms of the voucher an order redeemed (its use is live), whatever its validity now: an order edit
    re-prices with them (``orders.domain.compute_totals(..., voucher=...)``) without taking another use. None
    when the order has no live redemption, or when the edit's new ``subtotal`` is under the voucher's minimum
    (API.md "Order edits": the voucher is dropped and the order process gives its use back)."""
    redemption = (
        VoucherRedemption.objects.select_related("voucher")
        .filter(order_number=order_number, released_at__isnull=True)
        .first()
    )
    if redemption is None:
        return None
    minimum = redemption.voucher.min_subtotal
    if subtotal is not None and minimum is not None and subtotal < minimum:
        return None
    return voucher_terms(redemption.voucher)


def voucher_create(
    *,
    code: str,
    kind: str,
    value: Decimal,
    currency: str = "",
    min_subtotal: Decimal | None = None,
    usage_limit: int | None = None,
    once_per_customer: bool = False,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> Voucher:
    """A new voucher (the admin and ``create_voucher``); InvalidInput-style refusals as VoucherInvalid."""
    normalized = voucher_code_normalize(code)
    problem = voucher_definition_problem(
        code=normalized, kind=kind, value=value, currency=currency, starts_at=starts_at, ends_at=ends_at
    )
    if problem:
        raise VoucherInvalid(problem[1], field=problem[0])
    if Voucher.objects.filter(code=normalized).exists():
        raise VoucherInvalid(f"The code {normalized} exists already.", field="code")
    return Voucher.objects.create(
        code=normalized,
        kind=kind,
        value=quantize(value, currency or "EUR"),
        currency=currency,
        min_subtotal=min_subtotal,
        usage_limit=usage_limit,
        once_per_customer=once_per_customer,
        starts_at=starts_at,
        ends_at=ends_at,
    )


def vouchers_deactivate(*, ids: list[int]) -> int:
    """The admin's bulk action: inactive vouchers discount nothing new (redeemed uses stay)."""
    return Voucher.objects.filter(pk__in=ids, is_active=True).update(is_active=False)
