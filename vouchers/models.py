"""Vouchers and their redemptions. Usage is enforced here, by the database, as stock is: ``used_count`` changes
only under the voucher's row lock and a CHECK keeps it within ``usage_limit``; a partial unique index keeps a
once-per-customer voucher to one live redemption per e-mail (docs/pricing.md)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from orders.domain import VoucherKind


class Voucher(models.Model):
    code = models.CharField(max_length=40, unique=True, help_text="Stored upper-case; codes are case-insensitive.")
    kind = models.CharField(max_length=16, choices=[(kind.value, kind.value) for kind in VoucherKind])
    value = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="Percent (1-100) or the amount off, in the voucher's currency."
    )
    currency = models.CharField(max_length=3, blank=True, help_text="Required for fixed vouchers; blank: any.")
    min_subtotal = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    usage_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Orders in total; blank: unlimited.")
    once_per_customer = models.BooleanField(default=False, help_text="At most one order per customer e-mail.")
    is_active = models.BooleanField(default=True, db_index=True)
    used_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(used_count__gte=0), name="voucher_used_not_negative"),
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(used_count__lte=F("usage_limit")),
                name="voucher_used_within_limit",
            ),
            models.CheckConstraint(condition=Q(value__gt=0), name="voucher_value_positive"),
            models.CheckConstraint(
                condition=~Q(kind=VoucherKind.PERCENTAGE) | Q(value__lte=100), name="voucher_percentage_at_most_100"
            ),
            models.CheckConstraint(
                condition=~Q(kind=VoucherKind.FIXED) | ~Q(currency=""), name="voucher_fixed_has_currency"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class VoucherRedemption(models.Model):
    """One order's use of a voucher: written by the order's "redeem voucher" step, released by its compensation."""

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="redemptions")
    order_number = models.CharField(max_length=20, unique=True)  # one redemption per order, whatever the retries
    email = models.EmailField()
    once_key = models.CharField(max_length=254, blank=True)  # the e-mail when once_per_customer, else ""
    redeemed_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-redeemed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["voucher", "once_key"],
                condition=Q(released_at__isnull=True) & ~Q(once_key=""),
                name="voucher_once_per_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voucher_id} {self.order_number}"
