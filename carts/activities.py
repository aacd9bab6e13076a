"""Cart activities: one service call each. Both are idempotent (a read, and a conditional update)."""

from __future__ import annotations

from temporalio import activity

from carts import services
from carts.contracts import CART_PRICE_SKUS, CART_RECORD_STATUS, PricedSku, PriceInput, PriceResult, RecordStatusInput
from oms_project.activities import orm_activity


@activity.defn(name=CART_PRICE_SKUS)
@orm_activity
def cart_price_skus(inp: PriceInput) -> PriceResult:
    return PriceResult(items=[PricedSku(**item) for item in services.cart_price_skus(skus=inp.skus)])


@activity.defn(name=CART_RECORD_STATUS)
@orm_activity
def cart_record_status(inp: RecordStatusInput) -> None:
    services.cart_record_status(
        cart_id=inp.cart_id, status=inp.status, checkout_key=inp.checkout_key, contents=inp.contents
    )
