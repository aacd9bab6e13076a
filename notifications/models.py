"""The e-mail outbox: one row per e-mail the shop owes a customer, written in the same transaction as the order
event that causes it (``services.emails_record_for_order_events``), sent once by the order's dispatch and, when
that first attempt fails, by its own retrying workflow (ADR 0142)."""

from __future__ import annotations

from django.db import models

from notifications.domain import Kind


class Email(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"  # recorded; the dispatch sends it, or its workflow (retrying while the server is away)
        SENT = "sent"  # the mail server accepted it
        FAILED = "failed"  # the retry budget ran out; staff may send it again

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="emails")
    # The timeline event that caused it. An event has at most one e-mail of its own (constraint below); staff
    # resends are further rows pointing at the e-mail they repeat.
    event = models.ForeignKey("orders.OrderEvent", on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=32, choices=[(kind.value, kind.value) for kind in Kind])
    to = models.EmailField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    subject = models.CharField(max_length=255, blank=True)  # as sent
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    resend_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resends")
    requested_by = models.CharField(max_length=150, blank=True)  # the staff member of a resend
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The claim of the attempt sending it now (the first attempt in the order's dispatch, or its workflow's): no
    # other attempt starts before this time, when Temporal would itself take the claimer's attempt for dead.
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("resend_email", "Can send a customer e-mail again")]
        constraints = [
            models.UniqueConstraint(
                fields=["event"], condition=models.Q(resend_of__isnull=True), name="email_one_per_order_event"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} e-mail {self.pk} of {self.order_id}"
