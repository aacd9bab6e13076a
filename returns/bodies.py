"""The return body of the API, the pages and the webhook events, rendered from the read model (no DRF).

``returns.api.serializers.ReturnSerializer`` documents the same shape (OpenAPI)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from oms_project.money import format_amount
from orders.bodies import api_time as _when
from returns.models import Return, ReturnEvent, ReturnLine


def return_bodies(returns: Sequence[Return]) -> list[dict[str, Any]]:
    """The API body of each return: two queries for any number of returns (lines and events as plain rows)."""
    ids = [ret.pk for ret in returns]
    lines: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in (
        ReturnLine.objects.filter(ret_id__in=ids)
        .order_by("ret_id", "order_line__position")
        .values_list("ret_id", "sku", "quantity", "received_quantity", "restock", "refund_amount")
    ):
        lines[row[0]].append(row)
    events: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in (
        ReturnEvent.objects.filter(ret_id__in=ids).order_by("id").values_list("ret_id", "type", "at", "actor", "data")
    ):
        events[row[0]].append(row)
    numbers = dict(Return.objects.filter(pk__in=ids).values_list("pk", "order__number"))
    return [_body(ret, numbers[ret.pk], lines[ret.pk], events[ret.pk]) for ret in returns]


def _body(ret: Return, order_number: str, lines: list[tuple[Any, ...]], events: list[tuple[Any, ...]]) -> dict:
    currency = ret.currency
    return {
        "id": ret.pk,
        "order_number": order_number,
        "status": ret.status,
        "reason": ret.reason,
        "note": ret.note,
        "reject_reason": ret.reject_reason,
        "lines": [
            {
                "sku": sku,
                "quantity": int(quantity),
                "received_quantity": int(received),
                "restock": bool(restock),
                "refund_amount": format_amount(Decimal(refund), currency),
            }
            for _, sku, quantity, received, restock, refund in lines
        ],
        "refund_amount": format_amount(Decimal(ret.refund_amount), currency),
        "refunded_amount": format_amount(Decimal(ret.refunded_amount), currency),
        "currency": currency,
        "receive_deadline": _when(ret.receive_deadline),
        "created_at": _when(ret.created_at),
        "updated_at": _when(ret.updated_at),
        "events": [
            {"type": type_, "at": _when(at), "actor": actor, "data": data} for _, type_, at, actor, data in events
        ],
        "pending_action": ret.pending_action or None,
    }
