"""The cost of durability: the order saga's steps in one synchronous request, without Temporal.

Served only by the benchmark stack (``DJANGO_SETTINGS_MODULE=bench.settings``: bench/urls.py adds
``POST /bench/sync-checkout/`` to the project's URLs). Same services as the workflow's activities, same order:
record, reserve stock, authorize payment, request delivery, confirm write (with the authorization and the
webhook event, as the workflow since ADR 0043). No compensation on failure,
no retries, nothing survives a crash mid-way: that is what the Temporal version pays for.
"""

from __future__ import annotations

import json
import uuid

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from catalog import stock
from catalog.contracts import StockLine
from orders import services
from orders.contracts import ApplyInput, EventInput, order_workflow_id
from orders.delivery import DeliveryRequest, delivery_provider
from partners.models import Partner
from payments import services as payments


@csrf_exempt
@require_POST
def sync_checkout(request: HttpRequest) -> JsonResponse:
    body = json.loads(request.body)
    partner, _ = Partner.objects.get_or_create(name="sync-bench")
    inp = services.order_prepare(
        partner=partner,
        channel="api",
        lines=body["lines"],
        contact=body["customer"],
        shipping_address=body["shipping_address"],
        delivery=None,
        payment=body["payment"],
        idempotency_key=uuid.uuid4().hex,
        actor="bench",
    )
    number, key = inp.number, order_workflow_id(inp.number)
    services.order_record(inp=inp)
    stock.stock_reserve(
        order_number=number,
        lines=[StockLine(sku=line.sku, quantity=line.quantity) for line in inp.lines],
        idempotency_key=f"{key}:stock.reserve",
    )
    auth = payments.payment_authorize(
        order_number=number,
        amount=inp.total,
        currency=inp.currency,
        method=inp.payment.method,
        token=inp.payment.token,
        idempotency_key=f"{key}:payment.authorize",
    )
    now = timezone.now().isoformat()
    # Written with the confirm, as the workflow does (ADR 0043).
    authorized = EventInput("payment_authorized", {"authorization_id": auth.authorization_id}, at=now)
    order = services.order_get(number=number)
    assert order is not None
    receipt = delivery_provider().request(
        DeliveryRequest(
            order_number=number,
            priority=order.delivery_priority,
            country=order.ship_country,
            postal_code=order.ship_postal_code,
        ),
        idempotency_key=f"{key}:delivery.request",
    )
    services.order_apply(
        inp=ApplyInput(
            number=number,
            idempotency_key=f"{key}:apply:1",
            actor="bench",
            at=now,
            events=[
                authorized,
                EventInput("delivery_requested", {"reference": receipt.reference}),
                EventInput("confirmed", {}),
            ],
            status="confirmed",
            payment_status="authorized",
            delivery_reference=receipt.reference,
            publish=["order.confirmed"],  # the webhook event in the confirm's transaction, as the workflow
        )
    )
    return JsonResponse({"number": number, "status": "confirmed"}, status=201)
