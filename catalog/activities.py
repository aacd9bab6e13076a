"""Stock activities for the order workflow: sync, one service call each (names in ``catalog.contracts``)."""

from __future__ import annotations

from temporalio import activity

from catalog import stock
from catalog.contracts import (
    STOCK_FULFIL,
    STOCK_RELEASE,
    STOCK_RESERVE,
    STOCK_RESTOCK,
    ReserveInput,
    ReserveResult,
    StockOrderInput,
)
from oms_project.activities import orm_activity


@activity.defn(name=STOCK_RESERVE)
@orm_activity
def stock_reserve(inp: ReserveInput) -> ReserveResult:
    allocations = stock.stock_reserve(
        order_number=inp.order_number, lines=inp.lines, idempotency_key=inp.idempotency_key
    )
    return ReserveResult(allocations=allocations)


@activity.defn(name=STOCK_RELEASE)
@orm_activity
def stock_release(inp: StockOrderInput) -> ReserveResult:
    return ReserveResult(
        allocations=stock.stock_release(
            order_number=inp.order_number,
            idempotency_key=inp.idempotency_key,
            lines=inp.lines,
            reserved_by=inp.reserved_by,
        )
    )


@activity.defn(name=STOCK_FULFIL)
@orm_activity
def stock_fulfil(inp: StockOrderInput) -> ReserveResult:
    return ReserveResult(
        allocations=stock.stock_fulfil(
            order_number=inp.order_number, idempotency_key=inp.idempotency_key, lines=inp.lines
        )
    )


@activity.defn(name=STOCK_RESTOCK)
@orm_activity
def stock_restock(inp: StockOrderInput) -> ReserveResult:
    return ReserveResult(
        allocations=stock.stock_restock(
            order_number=inp.order_number, idempotency_key=inp.idempotency_key, lines=inp.lines
        )
    )
