"""The cart read model: who owns a cart, whether it is still open, and what it held when its latest mutation
answered.

The workflow owns the contents; this row exists so ownership checks, lists and cart pages never need Temporal.
Who writes what is in docs/carts.md.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q


def new_cart_id() -> str:
    return uuid.uuid4().hex


class Cart(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CHECKED_OUT = "checked_out", "Checked out"
        EXPIRED = "expired", "Expired"
        MERGED = "merged", "Merged into a customer's cart"

    cart_id = models.CharField(max_length=32, unique=True, default=new_cart_id, editable=False)
    partner = models.ForeignKey(
        "partners.Partner", null=True, blank=True, on_delete=models.CASCADE, related_name="carts"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="carts"
    )
    session_key = models.CharField(max_length=40, blank=True, db_index=True)  # guest carts only
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    checkout_key = models.CharField(max_length=255, blank=True)
    checkout_contents = models.JSONField(null=True, blank=True)  # CartContents as recorded by the workflow
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # a hint for lists; the workflow's timer rules
    # The CartView the workflow answered to the latest mutation (lines, subtotal, voucher code, deadline), and its
    # version (the workflow's mutation count): cart pages and GETs read it instead of querying the workflow. Null
    # only for carts opened before it existed (read from the workflow until their next mutation).
    view = models.JSONField(null=True, blank=True)
    view_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(partner__isnull=False, customer__isnull=True, session_key="")
                    | Q(partner__isnull=True, customer__isnull=False, session_key="")
                    | Q(partner__isnull=True, customer__isnull=True) & ~Q(session_key="")
                ),
                name="cart_exactly_one_owner",
            ),
            # "A signed-in customer has one cart across sessions and devices", enforced by the database.
            models.UniqueConstraint(fields=["customer"], condition=Q(status="open"), name="cart_one_open_per_customer"),
        ]

    def __str__(self) -> str:
        return f"cart {self.cart_id} ({self.status})"
