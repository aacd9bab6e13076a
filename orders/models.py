"""The order read model. Written only by the order workflow's activities (``orders.services``), read by
lists, filters, the admin and the API without asking Temporal."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from oms_project.models import IdempotencyRecord as IdempotencyRecord  # moved (one mechanism); importable here
from orders.domain import Channel, DeliveryStatus, PaymentStatus, Priority, Status


def _choices(enum: type) -> list[tuple[str, str]]:
    return [(member.value, member.value.replace("_", " ")) for member in enum]


class Order(models.Model):
    number = models.CharField(max_length=20, unique=True)
    partner = models.ForeignKey(
        "partners.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    channel = models.CharField(max_length=16, choices=_choices(Channel))
    external_ref = models.CharField(max_length=100, blank=True, db_index=True)

    status = models.CharField(max_length=20, choices=_choices(Status), default=Status.CREATED, db_index=True)
    payment_status = models.CharField(max_length=20, choices=_choices(PaymentStatus), default=PaymentStatus.PENDING)
    delivery_status = models.CharField(max_length=16, choices=_choices(DeliveryStatus), default=DeliveryStatus.NONE)
    failure_reason = models.CharField(max_length=64, blank=True)
    cancel_reason = models.CharField(max_length=255, blank=True)
    # The long-running action in progress (cancel, shipment, compensation, refund; "" when idle), written by the
    # order process with the write that starts it and cleared by the one that ends it (API.md "Long-running
    # actions"); every reader decides what may be asked now from it and ``status`` (orders.domain).
    pending_action = models.CharField(max_length=32, blank=True, default="")

    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=14, decimal_places=2)
    discount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    tax = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    shipping = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    voucher_code = models.CharField(max_length=40, blank=True, db_index=True)  # the voucher that gave ``discount``
    # Every refund of the order added up (undelivered shipments and returns); never more than was captured.
    refunded_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))

    contact_email = models.EmailField()
    contact_name = models.CharField(max_length=200)
    contact_phone = models.CharField(max_length=40, blank=True)

    ship_name = models.CharField(max_length=200)
    ship_line1 = models.CharField(max_length=200)
    ship_line2 = models.CharField(max_length=200, blank=True)
    ship_city = models.CharField(max_length=100)
    ship_postal_code = models.CharField(max_length=20)
    ship_country = models.CharField(max_length=2)

    delivery_priority = models.CharField(max_length=8, choices=_choices(Priority), default=Priority.NORMAL)
    delivery_period_start = models.DateTimeField(null=True, blank=True)
    delivery_period_end = models.DateTimeField(null=True, blank=True)
    delivery_reference = models.CharField(max_length=100, blank=True)  # the delivery provider's request id

    tracking_carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    # Set by the workflow's SLA timer when the order stayed too long in ``sla_breached_status``; cleared by the
    # next status change (docs/orders.md "Deadlines and SLA").
    sla_breached_status = models.CharField(max_length=16, blank=True, db_index=True)
    sla_breached_at = models.DateTimeField(null=True, blank=True)

    payment_method = models.CharField(max_length=16)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["partner", "-created_at"], name="order_partner_created")]
        constraints = [
            models.CheckConstraint(condition=models.Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0), name="order_refunded_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(max_digits=14, decimal_places=2)
    # The line's share of the order (orders.domain.compute_totals): its part of the order discount and of the
    # order tax, and ``total = line_total - discount + tax``; the lines' totals plus the order's shipping are the
    # order's total exactly, so captures and refunds computed from them add up.
    discount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    tax = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="order_line_unique_position"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="order_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class Shipment(models.Model):
    """One shipment of an order (API.md "Shipments"): its lines, carrier and tracking, its own delivery status and
    what it captured. Written only by the order process (the order row's single writer), from what the
    shipment's child workflow reports; listed once its capture is made."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    seq = models.PositiveSmallIntegerField()  # the shipment's id within its order: 1, 2, ...
    lines = models.JSONField(default=list)  # [{"sku": ..., "quantity": ...}]
    carrier = models.CharField(max_length=100)
    tracking_number = models.CharField(max_length=100)
    delivery_status = models.CharField(max_length=16, choices=_choices(DeliveryStatus), default=DeliveryStatus.NONE)
    amount_captured = models.DecimalField(max_digits=14, decimal_places=2)
    amount_refunded = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["order", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["order", "seq"], name="shipment_unique_seq"),
            models.CheckConstraint(
                condition=models.Q(amount_refunded__gte=0) & models.Q(amount_captured__gte=models.F("amount_refunded")),
                name="shipment_refund_within_capture",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} #{self.seq}"


class OrderEvent(models.Model):
    """The timeline. A replayed activity inserts the same ``idempotency_key`` and is ignored."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=64)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    data = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=255, unique=True)

    class Meta:
        ordering = ["id"]  # insertion order is the workflow's order

    def __str__(self) -> str:
        return f"{self.order_id} {self.type}"


class SandboxDelivery(models.Model):
    """The built-in sandbox delivery provider's own records (orders/delivery.py)."""

    order_number = models.CharField(max_length=20, unique=True)
    reference = models.CharField(max_length=40, unique=True)
    priority = models.CharField(max_length=8)
    cancelled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "sandbox deliveries"

    def __str__(self) -> str:
        return self.reference
