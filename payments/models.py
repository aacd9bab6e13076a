"""The order's payment (our side) and the sandbox PSP's own ledger (the provider's side)."""

from __future__ import annotations

from decimal import Decimal

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
        PARTIALLY_CAPTURED = "partially_captured", "Partially captured"
        CAPTURED = "captured", "Captured"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        VOIDED = "voided", "Voided"
        REFUNDED = "refunded", "Refunded"
        FAILED = "failed", "Failed"

    order_number = models.CharField(max_length=64, unique=True)
    method = models.CharField(max_length=16, choices=Method.choices)
    provider = models.CharField(max_length=32, blank=True)  # "sandbox", or "" for external payments
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    # Authorized in all (the first authorization plus every incremental one of an edit).
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    captured_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    # A final capture (the order's last shipment) releases what stays uncaptured: nothing more can be captured.
    capture_closed = models.BooleanField(default=False)
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
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
            # The money invariant, enforced by the database whatever the code does: never refund more than was
            # captured, never capture more than was authorized.
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0)
                & Q(captured_amount__gte=models.F("refunded_amount"))
                & Q(amount__gte=models.F("captured_amount")),
                name="payment_refunded_le_captured_le_authorized",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_number} {self.status} {self.amount} {self.currency}"


class PaymentOperation(models.Model):
    """Our record of each money movement on a payment (capture, refund, incremental authorization), one row per
    idempotency key. Created ``pending`` under the payment's row lock before the provider is called, so its
    amount is held: a concurrent refund or capture decided meanwhile counts it (never more than captured or
    authorized); applied once (``succeeded``) or released (``declined``) under the lock again."""

    class Kind(models.TextChoices):
        CAPTURE = "capture", "Capture"
        REFUND = "refund", "Refund"
        INCREMENT = "increment", "Incremental authorization"

    class Status(models.TextChoices):
        PENDING = "pending", "Asked, no final answer yet"
        SUCCEEDED = "succeeded", "Succeeded"
        DECLINED = "declined", "Declined"

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="operations")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    idempotency_key = models.CharField(max_length=255, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    final = models.BooleanField(default=False)  # a capture that releases the uncaptured rest
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decline_reason = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["payment", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="payment_operation_amount_not_negative")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.status}"


class SandboxLedgerEntry(models.Model):
    """The sandbox PSP's books: one row per operation request (idempotency key), with its attempts and
    final result. A repeated request with the same key returns the stored result. An authorization may be
    captured and refunded several times (partial amounts, each a row) and incremented (edits); the conditional
    unique constraint means it is voided at most once."""

    class Operation(models.TextChoices):
        AUTHORIZE = "authorize", "Authorize"
        INCREMENT = "increment", "Incremental authorization"
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
    final = models.BooleanField(default=False)  # capture: releases the uncaptured rest of the authorization
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
                condition=Q(status="succeeded") & Q(operation="void"),
                name="sandbox_one_void_per_authorization",
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.order_number} {self.status}"
