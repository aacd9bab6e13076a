"""The order's payment (our side) and the sandbox PSP's own ledger (the provider's side)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class Payment(models.Model):
    """One per order; written only by ``payments.services``."""

    class Method(models.TextChoices):
        CARD = "card", "Card"
        EXTERNAL = "external", "Collected by partner"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        AUTHORIZED = "authorized", "Authorized"
        CAPTURED = "captured", "Captured"
        VOIDED = "voided", "Voided"
        REFUNDED = "refunded", "Refunded"
        FAILED = "failed", "Failed"

    order_number = models.CharField(max_length=64, unique=True)
    method = models.CharField(max_length=16, choices=Method.choices)
    provider = models.CharField(max_length=32, blank=True)  # "sandbox", or "" for external payments
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    # The first caller's key is kept and reused for every provider authorize call of this order, so a
    # second caller (another key, a retry, a zombie attempt) can never produce a second authorization.
    authorize_key = models.CharField(max_length=255, blank=True)
    authorization_id = models.CharField(max_length=100, blank=True, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=100, blank=True)
    authorized_at = models.DateTimeField(null=True, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative")]

    def __str__(self) -> str:
        return f"{self.order_number} {self.status} {self.amount} {self.currency}"


class SandboxLedgerEntry(models.Model):
    """The sandbox PSP's books: one row per operation request (idempotency key), with its attempts and
    final result. A repeated request with the same key returns the stored result; the conditional unique
    constraint means one authorization can be captured, voided or refunded at most once."""

    class Operation(models.TextChoices):
        AUTHORIZE = "authorize", "Authorize"
        CAPTURE = "capture", "Capture"
        VOID = "void", "Void"
        REFUND = "refund", "Refund"

    class Status(models.TextChoices):
        PENDING = "pending", "No final answer yet"  # attempted, failed transiently; the next attempt decides
        SUCCEEDED = "succeeded", "Succeeded"
        DECLINED = "declined", "Declined"

    operation = models.CharField(max_length=16, choices=Operation.choices)
    idempotency_key = models.CharField(max_length=255, unique=True)
    order_number = models.CharField(max_length=64, db_index=True)  # the merchant reference
    token = models.CharField(max_length=100, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, blank=True)
    # authorize: the id this PSP issued; capture/void/refund: the authorization they act on.
    authorization_id = models.CharField(max_length=100, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decline_reason = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "sandbox ledger entries"
        constraints = [
            models.UniqueConstraint(
                fields=["authorization_id", "operation"],
                condition=Q(status="succeeded") & ~Q(operation="authorize"),
                name="sandbox_one_success_per_operation_and_authorization",
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.order_number} {self.status}"
