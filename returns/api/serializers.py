"""Return API shapes: input validation (shape only; the rules live in returns.domain and returns.services) and the
ONE return body (``returns.bodies`` renders it; this documents it in the OpenAPI schema)."""

from __future__ import annotations

from rest_framework import serializers

from oms_project.api import ChoiceField, integer_with_documented_range
from returns.domain import ReturnReason, ReturnStatus


class ReturnLineInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = integer_with_documented_range(minimum=1, maximum=999, help_text="Delivered units to return.")


class ReturnCreateSerializer(serializers.Serializer):
    lines = ReturnLineInputSerializer(many=True, allow_empty=False, max_length=100)
    reason = ChoiceField(choices=[r.value for r in ReturnReason])
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ReturnRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)


class ReceivedLineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=0, max_value=999, help_text="Units that came back.")
    restock = serializers.BooleanField(default=True, help_text="Back on stock (true) or written off (false).")


class ReturnReceiveSerializer(serializers.Serializer):
    lines = ReceivedLineSerializer(
        many=True, required=False, help_text="Default: every requested unit received and restocked."
    )


class ReturnFilterSerializer(serializers.Serializer):
    status = ChoiceField(choices=[s.value for s in ReturnStatus], required=False)
    order = serializers.CharField(max_length=20, required=False, help_text="An order number.")


# --- output (documents returns.bodies.return_bodies) ---------------------------------------------------------
class ReturnLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    received_quantity = serializers.IntegerField()
    restock = serializers.BooleanField()
    refund_amount = serializers.CharField(help_text="Decimal string: these units' share of their line's total.")


class ReturnEventSerializer(serializers.Serializer):
    type = serializers.CharField()
    at = serializers.DateTimeField()
    actor = serializers.CharField()
    data = serializers.JSONField()


class ReturnSerializer(serializers.Serializer):
    id = serializers.CharField()
    order_number = serializers.CharField()
    status = ChoiceField(choices=[s.value for s in ReturnStatus])
    reason = ChoiceField(choices=[r.value for r in ReturnReason])
    note = serializers.CharField()
    reject_reason = serializers.CharField(help_text="Why it was rejected (empty otherwise).")
    lines = ReturnLineSerializer(many=True)
    refund_amount = serializers.CharField(help_text="What receiving refunds (decimal string; set when received).")
    refunded_amount = serializers.CharField(help_text="What was refunded (decimal string).")
    currency = serializers.CharField()
    receive_deadline = serializers.DateTimeField(allow_null=True, help_text="Set at approval; expired after it.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    events = ReturnEventSerializer(many=True)
    pending_action = serializers.CharField(allow_null=True, help_text="`refund` while the refund runs, else null.")
