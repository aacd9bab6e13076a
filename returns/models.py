"""The return read model. Written only by the return process's activities (``returns.services``), read by the
API, the pages and the admin without asking Temporal."""

from __future__ import annotations

from django.db import models

from returns.domain import ReturnReason, ReturnStatus


def _choices(enum: type) -> list[tuple[str, str]]:
    return [(member.value, member.value.replace("_", " ")) for member in enum]


class Return(models.Model):
    # ``R-`` + an HMAC of the requester's idempotency key (returns.numbers): the same request names the same
    # return, so its workflow (``return-<id>``) and its row can never be made twice.
    id = models.CharField(max_length=20, primary_key=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="returns")
    status = models.CharField(max_length=16, choices=_choices(ReturnStatus), default=ReturnStatus.REQUESTED)
    reason = models.CharField(max_length=32, choices=_choices(ReturnReason))
    note = models.TextField(blank=True, max_length=1000)
    reject_reason = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=3)
    refund_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)  # set when received
    refunded_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)  # what the PSP refunded
    pending_action = models.CharField(max_length=32, blank=True, default="")  # "refund" while it runs
    requested_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(db_index=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    receive_deadline = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="return_status_created")]
        constraints = [
            models.CheckConstraint(condition=models.Q(refund_amount__gte=0), name="return_refund_not_negative"),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0, refunded_amount__lte=models.F("refund_amount")),
                name="return_refunded_within_refund",
            ),
        ]

    def __str__(self) -> str:
        return self.id


class ReturnLine(models.Model):
    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="return_lines")
    sku = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField()
    received_quantity = models.PositiveIntegerField(default=0)
    restock = models.BooleanField(default=True)
    refund_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        ordering = ["ret", "order_line__position"]
        constraints = [
            models.UniqueConstraint(fields=["ret", "order_line"], name="return_line_unique_order_line"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="return_line_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(received_quantity__lte=models.F("quantity")), name="return_line_received_within"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class ReturnEvent(models.Model):
    """The return's timeline. A replayed activity inserts the same ``idempotency_key`` and is ignored."""

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=64)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    data = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=255, unique=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.ret_id} {self.type}"


class GoodwillRefund(models.Model):
    """A staff refund of an order outside any return (any amount up to what remains refundable, with a reason).
    The row is the request (its key makes the refund happen once); ``refunded_amount`` is set when applied."""

    key = models.CharField(max_length=64, unique=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="goodwill_refunds")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=255)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="goodwill_amount_positive")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} for {self.order_id}"
